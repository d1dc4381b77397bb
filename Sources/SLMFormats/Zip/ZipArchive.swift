import CZlib
import Foundation

/// A read-only view of a ZIP archive (PyTorch's `torch.save` format, wheels) read from
/// its central directory. Member names are checked on open: a name that is absolute,
/// contains `..` or a backslash, or an embedded NUL is refused, so nothing read from an
/// archive can be steered outside the folder its caller chose. Stored members are read
/// directly; deflated members need an inflater (see `ZipArchive.inflate`).
public final class ZipArchive {
    public struct Member: Sendable, Equatable {
        public let name: String
        /// 0 = stored, 8 = deflate.
        public let method: UInt16
        public let compressedSize: Int
        public let size: Int
        public let crc32: UInt32
        let localHeaderOffset: Int
    }

    public let path: String
    public let members: [Member]
    private let data: Data

    public init(path: String) throws {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ZipError(path, "cannot read the file (\(error.localizedDescription))")
        }
        self.data = data
        members = try Self.readCentralDirectory(data, path: path)
    }

    public func member(named name: String) -> Member? { members.first { $0.name == name } }

    /// The member's uncompressed bytes.
    public func contents(of member: Member) throws -> Data {
        let header = member.localHeaderOffset
        guard header >= 0, header + 30 <= data.count, u32(header) == 0x0403_4b50 else {
            throw ZipError(path, "member '\(member.name)': no local header at offset \(header)")
        }
        let start = header + 30 + Int(u16(header + 26)) + Int(u16(header + 28))
        let (end, overflow) = start.addingReportingOverflow(member.compressedSize)
        guard !overflow, end <= data.count else {
            throw ZipError(path, "member '\(member.name)': \(member.compressedSize) bytes at offset \(start) run past the end of the \(data.count)-byte file")
        }
        let raw = data.subdata(in: start..<end)
        switch member.method {
        case 0:
            guard member.size == member.compressedSize else {
                throw ZipError(path, "stored member '\(member.name)' declares \(member.size) bytes but holds \(member.compressedSize)")
            }
            return raw
        case 8:
            let out = try inflate(raw, expected: member.size, member: member.name)
            guard out.count == member.size else {
                throw ZipError(path, "member '\(member.name)' inflated to \(out.count) bytes, expected \(member.size)")
            }
            return out
        default:
            throw ZipError(path, "member '\(member.name)' uses compression method \(member.method); expected 0 (stored) or 8 (deflate)")
        }
    }

    /// Raw deflate (zlib) into a buffer of the declared size; more output than declared is an error.
    private func inflate(_ compressed: Data, expected: Int, member: String) throws -> Data {
        if expected == 0 { return Data() }
        guard expected < Int(UInt32.max), compressed.count < Int(UInt32.max) else {
            throw ZipError(path, "member '\(member)' is larger than 4 GiB; inflating it is not supported")
        }
        var output = Data(count: expected)
        var stream = z_stream()
        guard czlib_inflate_init_raw(&stream) == Z_OK else { throw ZipError(path, "member '\(member)': zlib initialisation failed") }
        defer { inflateEnd(&stream) }
        var input = [UInt8](compressed)
        let result: Int32 = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.bindMemory(to: UInt8.self).baseAddress
                stream.avail_out = UInt32(target.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard result == Z_STREAM_END, Int(stream.total_out) == expected else {
            throw ZipError(path, "member '\(member)' does not inflate to its declared \(expected) bytes (zlib status \(result))")
        }
        return output
    }

    /// Whether a member name is safe to use as a relative path.
    public static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\"), !name.contains("\0") else { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains("..")
    }

    // MARK: - central directory

    private static func readCentralDirectory(_ data: Data, path: String) throws -> [Member] {
        func u16(_ at: Int) -> UInt16 { UInt16(data[data.startIndex + at]) | UInt16(data[data.startIndex + at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
        func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
        guard data.count >= 22 else { throw ZipError(path, "file of \(data.count) bytes is too short for a ZIP archive") }
        // The end-of-central-directory record sits within the last 22 + 65535 bytes.
        var eocd = -1
        var at = data.count - 22
        while at >= max(0, data.count - 22 - 65535) {
            if u32(at) == 0x0605_4b50 { eocd = at; break }
            at -= 1
        }
        guard eocd >= 0 else { throw ZipError(path, "no end-of-central-directory record: not a ZIP archive") }
        var count = Int(u16(eocd + 10))
        var directoryOffset = Int(u32(eocd + 16))
        // ZIP64: torch.save writes it for large files.
        if eocd >= 20, u32(eocd - 20) == 0x0706_4b50 {
            let record = u64(eocd - 12)
            guard record <= UInt64(data.count - 56), u32(Int(record)) == 0x0606_4b50 else {
                throw ZipError(path, "ZIP64 end record at offset \(record) is outside the file or malformed")
            }
            count = Int(clamping: u64(Int(record) + 32))
            directoryOffset = Int(clamping: u64(Int(record) + 48))
        }
        var members: [Member] = []
        var cursor = directoryOffset
        for index in 0..<count {
            guard cursor >= 0, cursor + 46 <= data.count, u32(cursor) == 0x0201_4b50 else {
                throw ZipError(path, "central directory entry \(index) at offset \(cursor) is outside the file or malformed")
            }
            let nameLength = Int(u16(cursor + 28)), extraLength = Int(u16(cursor + 30)), commentLength = Int(u16(cursor + 32))
            guard cursor + 46 + nameLength + extraLength <= data.count else {
                throw ZipError(path, "central directory entry \(index) runs past the end of the file")
            }
            let nameBytes = data.subdata(in: data.startIndex + cursor + 46..<data.startIndex + cursor + 46 + nameLength)
            let name = String(decoding: nameBytes, as: UTF8.self)
            guard isSafeName(name) else {
                throw ZipError(path, "member name '\(name)' is absolute or leaves the archive folder (contains '..'); refusing the archive")
            }
            var compressed = UInt64(u32(cursor + 20)), size = UInt64(u32(cursor + 24)), offset = UInt64(u32(cursor + 42))
            // ZIP64 extra field: the 0xFFFFFFFF values follow in order size, compressed, offset.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = u16(extra), length = Int(u16(extra + 2))
                if tag == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF, field + 8 <= extraEnd { size = u64(field); field += 8 }
                    if compressed == 0xFFFF_FFFF, field + 8 <= extraEnd { compressed = u64(field); field += 8 }
                    if offset == 0xFFFF_FFFF, field + 8 <= extraEnd { offset = u64(field) }
                }
                extra += 4 + length
            }
            let limit = UInt64(data.count)
            guard compressed <= limit, offset < limit, size <= UInt64(Int.max / 2) else {
                throw ZipError(path, "member '\(name)' declares sizes or an offset past the end of the \(data.count)-byte file")
            }
            members.append(Member(name: name, method: u16(cursor + 10), compressedSize: Int(compressed), size: Int(size),
                                  crc32: u32(cursor + 16), localHeaderOffset: Int(offset)))
            cursor += 46 + nameLength + extraLength + commentLength
        }
        return members
    }

    private func u16(_ at: Int) -> UInt16 { UInt16(data[data.startIndex + at]) | UInt16(data[data.startIndex + at + 1]) << 8 }
    private func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}

public struct ZipError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "zip archive \(path): \(message)" }
}
