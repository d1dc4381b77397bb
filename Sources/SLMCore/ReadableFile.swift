import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file opened for sequential reading with plain POSIX calls and one reusable buffer.
public final class ReadableFile {
    public let path: String
    private let descriptor: Int32
    public static let chunkSize = 4 << 20

    public init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemError.errno("cannot open '\(path)' for reading") }
        posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(descriptor) }

    /// Calls `body` with consecutive chunks of the file until its end.
    public func forEachChunk(size: Int = ReadableFile.chunkSize, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer, size)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError.errno("cannot read '\(path)'")
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(start: buffer, count: count))
        }
    }
}
