#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SLMTensor

/// Writes safetensors files atomically: a temporary file in the destination directory is
/// written, fsynced and renamed over the destination, then the directory is fsynced. A crash
/// leaves either the old file or the complete new one, never a torn one.
///
/// Tensors are laid out in name order (byte-wise), contiguous, after a header whose keys are
/// "__metadata__" (if any) then the sorted names; the header is padded with spaces so the
/// data section starts at a multiple of 8.
public enum SafetensorsWriter {
    public enum StorageType: Sendable {
        case float32
        /// Round-to-nearest-even from fp32.
        case bfloat16

        var dtype: SafetensorsDType { self == .float32 ? .float32 : .bfloat16 }
    }

    public static func write(
        _ tensors: [String: Tensor], to path: String, as storage: StorageType = .float32,
        metadata: [String: String] = [:]
    ) throws {
        let names = tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        if let bad = names.first(where: { $0.isEmpty || $0 == SafetensorsHeader.metadataKey }) {
            throw SafetensorsError(.invalidName, path: path, tensor: bad, "tensor names must be non-empty and not \"__metadata__\"")
        }
        let header = makeHeader(names: names, tensors: tensors, storage: storage, metadata: metadata)

        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(path, "cannot create \(temporary)") }
        var succeeded = false
        defer {
            if !succeeded {
                close(fd)
                unlink(temporary)
            }
        }
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try writeAll(fd, $0, path: path) }
        try header.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        for name in names {
            guard let t = tensors[name] else { continue }
            try writeData(fd, t, storage: storage, path: path)
        }
        guard fsync(fd) == 0 else { throw ioError(path, "fsync failed") }
        succeeded = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw ioError(path, "close failed")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw ioError(path, "cannot rename \(temporary) into place")
        }
        syncDirectory(of: path)
    }

    /// The JSON header bytes, space-padded so that 8 + count is a multiple of 8.
    static func makeHeader(names: [String], tensors: [String: Tensor], storage: StorageType,
                           metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\(jsonString(SafetensorsHeader.metadataKey)):{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            let end = offset + t.count * storage.dtype.byteSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(storage.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var bytes = Array("{\(parts.joined(separator: ","))}".utf8)
        while (8 + bytes.count) % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func writeData(_ fd: Int32, _ t: Tensor, storage: StorageType, path: String) throws {
        switch storage {
        case .float32:
            try writeAll(fd, UnsafeRawBufferPointer(start: t.data, count: t.count * 4), path: path)
        case .bfloat16:
            let chunk = 1 << 16
            var buffer = [UInt16](repeating: 0, count: min(chunk, max(t.count, 1)))
            var start = 0
            while start < t.count {
                let n = min(chunk, t.count - start)
                for i in 0..<n { buffer[i] = HalfPrecision.bfloat16Bits(from: t.data[start + i]).littleEndian }
                try buffer.withUnsafeBytes { try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)]), path: path) }
                start += n
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var p = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Glibc.write(fd, p, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "write failed")
            }
            p += n
            remaining -= n
        }
    }

    private static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var rng = SystemRandomNumberGenerator()
        return "\(directory).\(base).tmp-\(getpid())-\(String(rng.next() as UInt32, radix: 16))"
    }

    private static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    private static func ioError(_ path: String, _ what: String) -> SafetensorsError {
        SafetensorsError(.io, path: path, "\(what): \(String(cString: strerror(errno)))")
    }
}
