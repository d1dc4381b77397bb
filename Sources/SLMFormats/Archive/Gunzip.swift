import CZlib
import Foundation

/// Streams a gzip file (one or several concatenated members, as `gzip` writes them) into a
/// new file, with bounded memory; the CRC32 and size trailers are checked by zlib.
public enum Gunzip {
    public static func decompress(_ source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw ArchiveError(source, "cannot open for reading") }
        defer { try? input.close() }
        guard FileManager.default.createFile(atPath: destination, contents: nil), let output = FileHandle(forWritingAtPath: destination) else {
            throw ArchiveError(source, "cannot create '\(destination)'")
        }
        defer { try? output.close() }
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { throw ArchiveError(source, "zlib initialisation failed") }
        defer { inflateEnd(&stream) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var pending = [UInt8]()
        var finished = false, sawInput = false
        while true {
            if pending.isEmpty {
                let chunk = input.readData(ofLength: 1 << 16)
                if chunk.isEmpty { break }
                pending = [UInt8](chunk)
                sawInput = true
            }
            var status: Int32 = Z_OK
            var produced = 0
            let consumed: Int = pending.withUnsafeMutableBufferPointer { source in
                buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_in = source.baseAddress
                    stream.avail_in = UInt32(source.count)
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = target.count - Int(stream.avail_out)
                    return source.count - Int(stream.avail_in)
                }
            }
            if produced > 0 { try output.write(contentsOf: buffer[0..<produced]) }
            pending.removeFirst(consumed)
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated .gz files): be ready for it.
                finished = true
                guard inflateReset(&stream) == Z_OK else { throw ArchiveError(source, "zlib reset failed") }
            case Z_OK:
                finished = false
            case Z_BUF_ERROR where consumed > 0 || produced > 0:
                finished = false
            default:
                throw ArchiveError(source, "corrupt gzip data (zlib status \(status) after \(stream.total_in) compressed bytes)")
            }
        }
        guard sawInput, finished else { throw ArchiveError(source, "truncated gzip data (the stream does not end)") }
    }
}
