import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Remembers the digest of each file by (size, mtime, ctime, inode), so unchanged large
/// files are not hashed again. Entries whose mtime is too close to the moment of hashing
/// are not trusted later ("racy" entries, as git calls them): a write in the same clock
/// tick would not change the mtime.
public final class StatCache: @unchecked Sendable {
    struct Entry: Codable {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var digest: Digest
        var hashedAt: Int64
    }

    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()
    let path: String
    /// Nanoseconds an mtime must precede the hashing time for the entry to be trusted.
    static let racyWindow: Int64 = 20_000_000

    public init(path: String) {
        self.path = path
        if let data = FileManager.default.contents(atPath: path),
            let decoded = try? JSONDecoder().decode([String: Entry].self, from: data)
        {
            entries = decoded
        }
    }

    /// The digest of a regular file, from the cache when its stat matches.
    public func digest(ofFile path: String) throws -> (digest: Digest, size: Int64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemError.errno("cannot read '\(path)'") }
        let size = Int64(info.st_size)
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let ctime = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        let inode = UInt64(info.st_ino)
        lock.lock()
        let cached = entries[path]
        lock.unlock()
        if let cached, cached.size == size, cached.mtime == mtime, cached.ctime == ctime, cached.inode == inode,
            cached.mtime + Self.racyWindow < cached.hashedAt
        {
            return (cached.digest, size)
        }
        let hashedAt = Self.now()
        let (digest, hashedSize) = try SHA256.hashFile(atPath: path)
        record(path, Entry(size: size, mtime: mtime, ctime: ctime, inode: inode, digest: digest, hashedAt: hashedAt), valid: hashedSize == size)
        return (digest, hashedSize)
    }

    private func record(_ path: String, _ entry: Entry, valid: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if valid { entries[path] = entry } else { entries[path] = nil }
        dirty = true
    }

    /// Writes the cache back (atomically), keeping entries other processes added meanwhile.
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        guard dirty else { return }
        var merged = entries
        if let data = FileManager.default.contents(atPath: path),
            let onDisk = try? JSONDecoder().decode([String: Entry].self, from: data)
        {
            merged = onDisk.merging(entries) { _, ours in ours }
        }
        // Forget files that no longer exist, so the cache does not grow without end.
        merged = merged.filter { access($0.key, F_OK) == 0 }
        if let data = try? JSONFiles.encode(merged, pretty: false) {
            try? FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try? AtomicFile.write(data, to: path)
        }
        dirty = false
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
