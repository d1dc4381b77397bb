import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Crash-safe file writes: the bytes go to a temporary file in the destination's folder,
/// are fsynced, and only then renamed over the destination (and the folder fsynced).
/// A reader sees the old file or the new one, never a partial one, whatever kills us.
public enum AtomicFile {
    /// Temporary files carry this marker, the writer's pid and a random suffix, so a
    /// later process can tell an abandoned one (its writer is dead) from one in flight.
    public static let temporaryMarker = ".slmtmp-"

    public static func write(_ bytes: some ContiguousBytes, to path: String, mode: mode_t = 0o644) throws {
        try write(to: path, mode: mode) { sink in try bytes.withUnsafeBytes { try sink.write($0) } }
    }

    /// Where `write(to:mode:_:)` streams a file's bytes.
    public struct Sink {
        let descriptor: Int32
        let path: String

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            try AtomicFile.writeAll(descriptor, bytes, path: path)
        }
    }

    /// Writes a file of any size atomically: `produce` streams its bytes into the sink.
    /// `durable: false` skips the fsyncs (a scratch file that is gone after the process): the
    /// rename still keeps readers from a partial file, but a power cut may lose the content.
    public static func write(to path: String, mode: mode_t = 0o644, durable: Bool = true,
                             _ produce: (Sink) throws -> Void) throws {
        let temporary = temporaryPath(besides: path)
        do {
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard descriptor >= 0 else { throw SystemError.errno("cannot create '\(temporary)'") }
            defer { close(descriptor) }
            try produce(Sink(descriptor: descriptor, path: temporary))
            guard !durable || fsync(descriptor) == 0 else { throw SystemError.errno("cannot fsync '\(temporary)'") }
        } catch {
            unlink(temporary)
            throw error
        }
        try commit(temporary, to: path, durable: durable)
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// A fresh path in `path`'s folder for a temporary file or folder that will be renamed to `path`.
    public static func temporaryPath(besides path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return folder + "/." + url.lastPathComponent + temporaryMarker + "\(getpid())-" + random
    }

    /// Renames a finished (already fsynced) temporary file into place and makes the rename
    /// durable (unless `durable` is false).
    public static func commit(_ temporary: String, to path: String, durable: Bool = true) throws {
        guard rename(temporary, path) == 0 else {
            let error = SystemError.errno("cannot rename '\(temporary)' to '\(path)'")
            unlink(temporary)
            throw error
        }
        if durable { syncFolder(of: path) }
    }

    public static func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemError.errno("cannot write '\(path)'")
            }
            offset += written
        }
    }

    /// Removes temporary files in `folder` (not recursive) whose writing process is gone.
    /// Returns how many were removed.
    @discardableResult
    public static func removeAbandonedTemporaries(in folder: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return 0 }
        var removed = 0
        for name in names {
            guard let pid = writerPID(ofTemporary: name), !processIsAlive(pid) else { continue }
            if (try? FileManager.default.removeItem(atPath: folder + "/" + name)) != nil { removed += 1 }
        }
        return removed
    }

    /// The pid embedded in a temporary name made by `temporaryPath(besides:)`.
    public static func writerPID(ofTemporary name: String) -> pid_t? {
        guard let range = name.range(of: temporaryMarker) else { return nil }
        let rest = name[range.upperBound...]
        guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]) else { return nil }
        return pid
    }
}

/// Whether a process with this pid exists (it may belong to another user).
public func processIsAlive(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}
