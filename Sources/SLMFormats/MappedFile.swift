#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, private memory mapping of a whole file, unmapped on deinit.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafetensorsError(.io, path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError(.io, path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size >= 8 else {
            throw SafetensorsError(.truncated, path: path, "file has \(size) bytes; the 8-byte header length alone needs 8")
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw SafetensorsError(.io, path: path, "mmap failed: \(String(cString: strerror(errno)))")
        }
        self.bytes = UnsafeRawPointer(mapped)
        self.size = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes), size)
    }
}
