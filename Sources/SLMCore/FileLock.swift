import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An advisory lock (flock) on a lock file. The kernel drops it when the holder exits,
/// however it exits, so a kill -9 never leaves a stale lock behind.
/// Exclusive holders write who they are into the file, for the message others see.
public final class FileLock {
    public enum Mode { case shared, exclusive }

    public let path: String
    private var descriptor: Int32 = -1

    public init(path: String) { self.path = path }

    deinit { unlock() }

    /// Takes the lock without waiting. Returns false if another process holds it.
    public func tryLock(_ mode: Mode, owner: String? = nil) throws -> Bool {
        try openFile()
        if flock(descriptor, operation(mode) | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return false }
            throw SystemError.errno("cannot lock '\(path)'")
        }
        if mode == .exclusive, let owner { recordOwner(owner) }
        return true
    }

    /// Takes the lock, waiting as long as it takes.
    public func lock(_ mode: Mode, owner: String? = nil) throws {
        try openFile()
        while flock(descriptor, operation(mode)) != 0 {
            if errno == EINTR { continue }
            throw SystemError.errno("cannot lock '\(path)'")
        }
        if mode == .exclusive, let owner { recordOwner(owner) }
    }

    public func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    /// What the current exclusive holder wrote about itself, if anything.
    public func ownerDescription() -> String? {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func openFile() throws {
        guard descriptor < 0 else { return }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SystemError.errno("cannot open lock file '\(path)'") }
    }

    private func operation(_ mode: Mode) -> Int32 { mode == .shared ? LOCK_SH : LOCK_EX }

    private func recordOwner(_ owner: String) {
        ftruncate(descriptor, 0)
        let text = Array(owner.utf8)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }
}
