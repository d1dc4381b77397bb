import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Content-addressed file store: `blobs/ab/<sha256>` (raw), `…/<sha256>.zst` (zstd) or
/// `…/<sha256>.s4.zst` (byte planes of 4-byte values, then zstd: float32 weights).
///
/// The digest is SHA-256 of the uncompressed bytes. The first chunk is compressed both
/// ways as a trial; the better encoding is kept if it saves at least `minimumSaving`,
/// else the blob is stored raw. Writes go to a temporary file in `tmp/` and are
/// renamed into place after fsync, so a blob is either complete or absent. Reads hash
/// what they restore and refuse a blob whose bytes do not match its name.
public struct BlobStore: Sendable {
    public let root: String
    let temporaryFolder: String
    public var level: Int32 = 3
    /// Compress only when zstd makes the first chunk at least this much smaller.
    public var minimumSaving = 0.05
    /// Shuffling works per chunk of this many uncompressed bytes.
    static let chunkSize = ReadableFile.chunkSize

    public enum Encoding: String, Sendable, CaseIterable {
        case raw = "", zstd = ".zst", shuffledZstd = ".s4.zst"
    }

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
    func path(_ digest: Digest, _ encoding: Encoding) -> String { folder(of: digest) + "/" + digest.hex + encoding.rawValue }

    /// The stored file of a blob and its encoding, if present.
    public func location(of digest: Digest) -> (path: String, encoding: Encoding)? {
        for encoding in Encoding.allCases where access(path(digest, encoding), F_OK) == 0 {
            return (path(digest, encoding), encoding)
        }
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
        var encoding: Encoding?
        var compressor: ZstdCompressor?
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
        defer { scratch.deallocate() }
        let write: (UnsafeRawBufferPointer) throws -> Void = { try AtomicFile.writeAll(descriptor, $0, path: temporary) }

        let chunker = FixedChunker(size: Self.chunkSize) { chunk in
            hasher.update(chunk)
            size += Int64(chunk.count)
            if encoding == nil {
                (encoding, compressor) = try chooseEncoding(chunk, scratch: scratch, write: write)
                return
            }
            switch encoding {
            case .zstd?: try compressor?.compress(chunk, last: false, sink: write)
            case .shuffledZstd?:
                ByteShuffle.shuffle4(chunk, into: scratch)
                try compressor?.compress(UnsafeRawBufferPointer(rebasing: scratch[0..<chunk.count]), last: false, sink: write)
            default: try write(chunk)
            }
        }
        try produce { try chunker.add($0) }
        try chunker.finish()
        try compressor?.compress(UnsafeRawBufferPointer(start: nil, count: 0), last: true, sink: write)
        guard fsync(descriptor) == 0 else { throw SystemError.errno("cannot fsync '\(temporary)'") }
        close(descriptor)
        closed = true

        let digest = hasher.finish()
        if !contains(digest) {
            try FileManager.default.createDirectory(atPath: folder(of: digest), withIntermediateDirectories: true)
            try AtomicFile.commit(temporary, to: path(digest, encoding ?? .raw))
        }
        return (digest, size)
    }

    /// Compresses the first chunk plainly and shuffled, writes it in the encoding that
    /// wins, and returns that encoding with its compressor (whose frame stays open).
    private func chooseEncoding(_ chunk: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                                write: (UnsafeRawBufferPointer) throws -> Void) throws -> (Encoding, ZstdCompressor?) {
        guard chunk.count >= 512 else {
            try write(chunk)
            return (.raw, nil)
        }
        let plain = try ZstdCompressor(level: level)
        var plainBytes = [UInt8]()
        try plain.compress(chunk, last: false, flush: true) { plainBytes.append(contentsOf: $0) }
        ByteShuffle.shuffle4(chunk, into: scratch)
        let shuffled = try ZstdCompressor(level: level)
        var shuffledBytes = [UInt8]()
        try shuffled.compress(UnsafeRawBufferPointer(rebasing: scratch[0..<chunk.count]), last: false, flush: true) { shuffledBytes.append(contentsOf: $0) }

        let budget = Double(chunk.count) * (1 - minimumSaving)
        if shuffledBytes.count < plainBytes.count, Double(shuffledBytes.count) <= budget {
            try shuffledBytes.withUnsafeBytes { try write($0) }
            return (.shuffledZstd, shuffled)
        }
        if Double(plainBytes.count) <= budget {
            try plainBytes.withUnsafeBytes { try write($0) }
            return (.zstd, plain)
        }
        try write(chunk)
        return (.raw, nil)
    }

    // MARK: - reading

    /// Streams a blob's uncompressed bytes to `sink`, verifying the digest at the end.
    /// A mismatch removes the blob and throws `Corruption`.
    public func read(_ digest: Digest, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in try read(digest, escapingSink: sink) }
    }

    private func read(_ digest: Digest, escapingSink sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let (path, encoding) = location(of: digest) else {
            throw SystemError("blob \(digest.short) is not in the cache")
        }
        let hasher = SHA256()
        let file = try ReadableFile(path: path)
        let deliver: (UnsafeRawBufferPointer) throws -> Void = { hasher.update($0); try sink($0) }
        do {
            switch encoding {
            case .raw:
                try file.forEachChunk(deliver)
            case .zstd:
                let decompressor = try ZstdDecompressor()
                try file.forEachChunk { try decompressor.decompress($0, sink: deliver) }
                try decompressor.finish()
            case .shuffledZstd:
                let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
                defer { scratch.deallocate() }
                let chunker = FixedChunker(size: Self.chunkSize) { chunk in
                    ByteShuffle.unshuffle4(chunk, into: scratch)
                    try deliver(UnsafeRawBufferPointer(rebasing: scratch[0..<chunk.count]))
                }
                let decompressor = try ZstdDecompressor()
                try file.forEachChunk { try decompressor.decompress($0) { try chunker.add($0) } }
                try decompressor.finish()
                try chunker.finish()
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
        try AtomicFile.write(to: path, mode: executable ? 0o755 : 0o644) { sink in try read(digest, into: sink.write) }
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
                guard let digest = Digest(hex: String(name.prefix(64))),
                    let encoding = Encoding(rawValue: String(name.dropFirst(64)))
                else { continue }
                let compressed = encoding != .raw
                let path = root + "/" + folder + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                result.append(Entry(digest: digest, path: path, storedBytes: Int64(info.st_size), compressed: compressed))
            }
        }
        return result
    }
}
