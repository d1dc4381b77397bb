import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Content-addressed file store: `blobs/ab/<sha256>` (raw) or `blobs/ab/<sha256>.zst`.
///
/// The digest is SHA-256 of the uncompressed bytes. A blob is compressed when the first
/// chunk shows zstd saving at least `minimumSaving`; otherwise it is kept raw (weights
/// and other dense data rarely pay). Writes go to a temporary file in `tmp/` and are
/// renamed into place after fsync, so a blob is either complete or absent. Reads hash
/// what they restore and refuse a blob whose bytes do not match its name.
public struct BlobStore: Sendable {
    public let root: String
    let temporaryFolder: String
    public var level: Int32 = 3
    /// Compress only when zstd makes the first chunk at least this much smaller.
    public var minimumSaving = 0.10

    public init(root: String, temporaryFolder: String) {
        self.root = root
        self.temporaryFolder = temporaryFolder
    }

    public struct Corruption: Error, CustomStringConvertible {
        public let digest: Digest
        public let detail: String
        public var description: String { "blob \(digest.short) is corrupt (\(detail)); it has been removed" }
    }

    func folder(of digest: Digest) -> String { root + "/" + digest.hex.prefix(2) }
    func rawPath(_ digest: Digest) -> String { folder(of: digest) + "/" + digest.hex }
    func compressedPath(_ digest: Digest) -> String { rawPath(digest) + ".zst" }

    /// The stored file of a blob and whether it is compressed, if present.
    public func location(of digest: Digest) -> (path: String, compressed: Bool)? {
        if access(compressedPath(digest), F_OK) == 0 { return (compressedPath(digest), true) }
        if access(rawPath(digest), F_OK) == 0 { return (rawPath(digest), false) }
        return nil
    }

    public func contains(_ digest: Digest) -> Bool { location(of: digest) != nil }

    // MARK: - writing

    /// Stores a file's bytes; returns their digest and size. Hashes and compresses in one pass.
    @discardableResult
    public func store(fileAt path: String) throws -> (digest: Digest, size: Int64) {
        let source = try ReadableFile(path: path)
        return try store { feed in try source.forEachChunk(feed) }
    }

    @discardableResult
    public func store(bytes: some ContiguousBytes) throws -> Digest {
        try bytes.withUnsafeBytes { buffer in
            try store { feed in
                var offset = 0
                repeat {
                    let count = min(ReadableFile.chunkSize, buffer.count - offset)
                    try feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]))
                    offset += count
                } while offset < buffer.count
            }.digest
        }
    }

    /// `produce` calls its argument with consecutive chunks of the content.
    private func store(_ produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> (digest: Digest, size: Int64) {
        try FileManager.default.createDirectory(atPath: temporaryFolder, withIntermediateDirectories: true)
        let temporary = AtomicFile.temporaryPath(besides: temporaryFolder + "/blob")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw SystemError.errno("cannot create '\(temporary)'") }
        var closed = false
        defer {
            if !closed { close(descriptor) }
            unlink(temporary)  // harmless after the rename
        }
        let hasher = SHA256()
        var size: Int64 = 0
        var compressor: ZstdCompressor?
        var decided = false
        let write: (UnsafeRawBufferPointer) throws -> Void = { try AtomicFile.writeAll(descriptor, $0, path: temporary) }

        try produce { chunk in
            hasher.update(chunk)
            size += Int64(chunk.count)
            if !decided {
                decided = true
                let trial = try ZstdCompressor(level: level)
                var compressed = [UInt8]()
                try trial.compress(chunk, last: false) { compressed.append(contentsOf: $0) }
                // The trial keeps its frame open: continue with it if compression pays.
                let estimate = Double(compressed.count + 64) / Double(max(chunk.count, 1))
                if chunk.count >= 512 && estimate <= 1 - minimumSaving {
                    compressor = trial
                    try compressed.withUnsafeBytes { try write($0) }
                    return
                }
            }
            if let compressor {
                try compressor.compress(chunk, last: false, sink: write)
            } else {
                try write(chunk)
            }
        }
        if let compressor { try compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), last: true, sink: write) }
        guard fsync(descriptor) == 0 else { throw SystemError.errno("cannot fsync '\(temporary)'") }
        close(descriptor)
        closed = true

        let digest = hasher.finish()
        if !contains(digest) {
            try FileManager.default.createDirectory(atPath: folder(of: digest), withIntermediateDirectories: true)
            try AtomicFile.commit(temporary, to: compressor == nil ? rawPath(digest) : compressedPath(digest))
        }
        return (digest, size)
    }

    // MARK: - reading

    /// Streams a blob's uncompressed bytes to `sink`, verifying the digest at the end.
    /// A mismatch removes the blob and throws `Corruption`.
    public func read(_ digest: Digest, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let (path, compressed) = location(of: digest) else {
            throw SystemError("blob \(digest.short) is not in the cache")
        }
        let hasher = SHA256()
        let file = try ReadableFile(path: path)
        do {
            if compressed {
                let decompressor = try ZstdDecompressor()
                try file.forEachChunk { chunk in
                    try decompressor.decompress(chunk) { hasher.update($0); try sink($0) }
                }
                try decompressor.finish()
            } else {
                try file.forEachChunk { hasher.update($0); try sink($0) }
            }
        } catch let error as SystemError where error.message.hasPrefix("zstd") {
            quarantine(path)
            throw Corruption(digest: digest, detail: error.message)
        }
        let actual = hasher.finish()
        guard actual == digest else {
            quarantine(path)
            throw Corruption(digest: digest, detail: "its bytes hash to \(actual.short)")
        }
    }

    public func readAll(_ digest: Digest) throws -> [UInt8] {
        var bytes = [UInt8]()
        try read(digest) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Writes a blob's content to `path` atomically (temporary file beside it, then rename).
    public func restore(_ digest: Digest, to path: String, executable: Bool = false) throws {
        let temporary = AtomicFile.temporaryPath(besides: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0o755 : 0o644)
        guard descriptor >= 0 else { throw SystemError.errno("cannot create '\(temporary)'") }
        do {
            defer { close(descriptor) }
            try read(digest) { try AtomicFile.writeAll(descriptor, $0, path: temporary) }
            guard fsync(descriptor) == 0 else { throw SystemError.errno("cannot fsync '\(temporary)'") }
        } catch {
            unlink(temporary)
            throw error
        }
        try AtomicFile.commit(temporary, to: path)
    }

    /// Re-hashes a blob without writing anything. Corrupt blobs are removed.
    public func verify(_ digest: Digest) throws {
        try read(digest) { _ in }
    }

    private func quarantine(_ path: String) { unlink(path) }

    // MARK: - listing

    public struct Entry: Sendable {
        public var digest: Digest
        public var path: String
        public var storedBytes: Int64
        public var compressed: Bool
    }

    public func entries() -> [Entry] {
        var result: [Entry] = []
        let manager = FileManager.default
        guard let folders = try? manager.contentsOfDirectory(atPath: root) else { return [] }
        for folder in folders.sorted() where folder.count == 2 {
            guard let names = try? manager.contentsOfDirectory(atPath: root + "/" + folder) else { continue }
            for name in names.sorted() {
                let compressed = name.hasSuffix(".zst")
                guard let digest = Digest(hex: compressed ? String(name.dropLast(4)) : name) else { continue }
                let path = root + "/" + folder + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                result.append(Entry(digest: digest, path: path, storedBytes: Int64(info.st_size), compressed: compressed))
            }
        }
        return result
    }
}
