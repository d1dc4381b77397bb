import Foundation

/// Reads a tar stream (POSIX ustar, with GNU long names and pax `path`/`linkpath` records)
/// entry by entry from a file, with bounded memory. Only what unpacking a dataset needs:
/// regular files, folders and links; other entry types (devices, FIFOs) are reported as
/// `.other` so the caller can refuse them.
public struct TarReader {
    public enum EntryType: Equatable, Sendable { case file, directory, symlink, hardlink, other(UInt8) }

    public struct Entry: Sendable {
        public let name: String
        public let type: EntryType
        public let size: Int
        public let linkTarget: String
    }

    let path: String
    private let handle: FileHandle
    private var remaining = 0  // bytes of the current entry's data (plus padding) not yet read
    private var blocksRead = 0

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(path, "cannot open for reading") }
        self.path = path
        self.handle = handle
    }

    public func close() { try? handle.close() }

    /// The next entry, or nil at the end of the archive (two zero blocks or end of file).
    /// The entry's bytes must be consumed with `readData` (or are skipped on the next call).
    public mutating func next() throws -> Entry? {
        try skipRemaining()
        var longName: String?, longLink: String?
        var pax: [String: String] = [:]
        // Bounded: each metadata record consumes at least one block of a finite file.
        while true {
            let header = try readExactly(512, what: "a header")
            guard let header else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            try checkChecksum(header)
            let size = try octal(header, 124, 12, field: "size")
            let flag = header[156]
            let padded = (size + 511) / 512 * 512
            switch flag {
            case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
                guard size <= 1 << 20 else { throw ArchiveError(path, "a metadata record of \(size) bytes is too large") }
                guard let body = try readExactly(padded, what: "a metadata record") else {
                    throw ArchiveError(path, "truncated metadata record")
                }
                let text = Self.cString(body.prefix(size))
                if flag == UInt8(ascii: "L") { longName = text }
                if flag == UInt8(ascii: "K") { longLink = text }
                if flag == UInt8(ascii: "x") { pax.merge(try parsePax(Array(body.prefix(size)))) { $1 } }
                continue  // global pax headers ('g') are read and ignored
            default:
                break
            }
            var name = Self.cString(header[0..<100])
            let magic = Self.cString(header[257..<263])
            if magic.hasPrefix("ustar") {
                let prefix = Self.cString(header[345..<500])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            name = pax["path"] ?? longName ?? name
            let link = pax["linkpath"] ?? longLink ?? Self.cString(header[157..<257])
            let type: EntryType
            switch flag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): type = name.hasSuffix("/") ? .directory : .file
            case UInt8(ascii: "5"): type = .directory
            case UInt8(ascii: "2"): type = .symlink
            case UInt8(ascii: "1"): type = .hardlink
            default: type = .other(flag)
            }
            remaining = padded
            currentSize = type == .file ? size : 0
            return Entry(name: name, type: type, size: type == .file ? size : 0, linkTarget: link)
        }
    }

    private var currentSize = 0

    /// Streams the current file entry's bytes to `body`, in pieces of at most 64 KiB.
    public mutating func readData(_ body: (Data) throws -> Void) throws {
        var left = currentSize
        while left > 0 {
            let chunk = handle.readData(ofLength: min(left, 1 << 16))
            if chunk.isEmpty { throw ArchiveError(path, "truncated: an entry's data ends early") }
            try body(chunk)
            left -= chunk.count
            remaining -= chunk.count
        }
        currentSize = 0
        try skipRemaining()
    }

    private mutating func skipRemaining() throws {
        if remaining > 0 {
            let offset = try handle.offset()
            let end = try handle.seekToEnd()
            guard offset + UInt64(remaining) <= end else { throw ArchiveError(path, "truncated: an entry's data runs past the end") }
            try handle.seek(toOffset: offset + UInt64(remaining))
        }
        remaining = 0
        currentSize = 0
    }

    private mutating func readExactly(_ count: Int, what: String) throws -> [UInt8]? {
        let data = handle.readData(ofLength: count)
        if data.isEmpty { return nil }
        guard data.count == count else { throw ArchiveError(path, "truncated: \(what) of \(count) bytes has only \(data.count)") }
        blocksRead += count / 512
        return [UInt8](data)
    }

    private func checkChecksum(_ header: [UInt8]) throws {
        let stored = try octal(header, 148, 8, field: "checksum")
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        guard sum == stored else { throw ArchiveError(path, "header at block \(blocksRead - 1): checksum \(stored) does not match \(sum) (not a tar file?)") }
    }

    private func octal(_ header: [UInt8], _ offset: Int, _ length: Int, field: String) throws -> Int {
        var value = 0
        for byte in header[offset..<offset + length] {
            if byte == 0 || byte == 32 { if value > 0 { break } else { continue } }
            guard (48...55).contains(byte), value < Int.max >> 4 else {
                throw ArchiveError(path, "header at block \(blocksRead - 1): the \(field) field is not an octal number")
            }
            value = value * 8 + Int(byte - 48)
        }
        return value
    }

    /// pax records: "LEN key=value\n", LEN counting the whole record.
    private func parsePax(_ bytes: [UInt8]) throws -> [String: String] {
        var result: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: 32), let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)),
                  length > 0, index + length <= bytes.count else {
                throw ArchiveError(path, "a malformed pax header record")
            }
            let record = String(decoding: bytes[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if let equals = record.firstIndex(of: "=") { result[String(record[..<equals])] = String(record[record.index(after: equals)...]) }
            index += length
        }
        return result
    }

    static func cString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
