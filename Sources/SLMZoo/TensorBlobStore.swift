import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// One blob per tensor under `zoo/blobs/ab/<sha256>[encoding]`, named by SHA-256 of the
/// raw (uncompressed, little-endian) bytes. Like the pipeline cache's BlobStore, the
/// encoding is chosen by a trial on a sample: raw, zstd, or zstd after grouping the bytes
/// of 2-byte (bf16/fp16) or 4-byte (fp32) values into planes, whichever is smallest,
/// provided it saves at least `minimumSaving`. Writes go temp → fsync → rename, so a blob
/// is complete or absent; reads re-hash and refuse bytes that do not match the name.
public struct TensorBlobStore: Sendable {
    public let root: String
    let temporaryFolder: String
    public var level: Int32 = 3
    public var minimumSaving = 0.05
    /// Bytes of the trial sample.
    static let sampleBytes = 1 << 20

    public enum Encoding: String, Sendable, CaseIterable {
        case raw = "", zstd = ".zst", shuffled2Zstd = ".s2.zst", shuffled4Zstd = ".s4.zst"

        var planeWidth: Int? {
            switch self {
            case .shuffled2Zstd: 2
            case .shuffled4Zstd: 4
            default: nil
            }
        }
    }

    public init(root: String, temporaryFolder: String) {
        self.root = root
        self.temporaryFolder = temporaryFolder
    }

    func folder(of digest: Digest) -> String { root + "/" + digest.hex.prefix(2) }
    func path(_ digest: Digest, _ encoding: Encoding) -> String { folder(of: digest) + "/" + digest.hex + encoding.rawValue }

    public func location(of digest: Digest) -> (path: String, encoding: Encoding)? {
        for encoding in Encoding.allCases where access(path(digest, encoding), F_OK) == 0 {
            return (path(digest, encoding), encoding)
        }
        return nil
    }

    public func contains(_ digest: Digest) -> Bool { location(of: digest) != nil }

    /// Stores `bytes` (elements of `elementWidth` bytes) unless a blob of that digest exists.
    @discardableResult
    public func store(_ bytes: [UInt8], elementWidth: Int) throws -> Digest {
        let digest = SHA256.hash(bytes)
        if contains(digest) { return digest }
        let (encoding, encoded) = try encode(bytes, elementWidth: elementWidth)
        try FileManager.default.createDirectory(atPath: temporaryFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder(of: digest), withIntermediateDirectories: true)
        let temporary = AtomicFile.temporaryPath(besides: temporaryFolder + "/blob")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw SystemError.errno("cannot create '\(temporary)'") }
        do {
            defer { close(descriptor) }
            try encoded.withUnsafeBytes { try AtomicFile.writeAll(descriptor, $0, path: temporary) }
            guard fsync(descriptor) == 0 else { throw SystemError.errno("cannot fsync '\(temporary)'") }
        } catch {
            unlink(temporary)
            throw error
        }
        try AtomicFile.commit(temporary, to: path(digest, encoding))
        return digest
    }

    /// The encoding the trial picks and the encoded bytes.
    func encode(_ bytes: [UInt8], elementWidth: Int) throws -> (Encoding, [UInt8]) {
        let sampleCount = min(bytes.count, Self.sampleBytes) / 4 * 4
        guard sampleCount >= 512 else { return (.raw, bytes) }
        let sample = Array(bytes[0..<sampleCount])
        var candidates: [(Encoding, Int)] = [(.zstd, try Zstd.compress(sample, level: level).count)]
        let shuffled: Encoding? = elementWidth == 2 ? .shuffled2Zstd : elementWidth == 4 ? .shuffled4Zstd : nil
        if let shuffled, let width = shuffled.planeWidth {
            candidates.append((shuffled, try Zstd.compress(Self.shuffle(sample, width: width), level: level).count))
        }
        guard let best = candidates.min(by: { $0.1 < $1.1 }),
              Double(best.1) <= Double(sampleCount) * (1 - minimumSaving)
        else { return (.raw, bytes) }
        let input = best.0.planeWidth.map { Self.shuffle(bytes, width: $0) } ?? bytes
        return (best.0, try Zstd.compress(input, level: level))
    }

    /// The blob's raw bytes, verified against its digest.
    public func read(_ digest: Digest) throws -> [UInt8] {
        guard let (path, encoding) = location(of: digest) else {
            throw ZooError.corrupt("blob \(digest.short) is missing from \(root)")
        }
        guard let stored = FileManager.default.contents(atPath: path) else {
            throw ZooError.corrupt("blob \(digest.short) cannot be read at \(path)")
        }
        var bytes: [UInt8]
        switch encoding {
        case .raw: bytes = [UInt8](stored)
        default:
            do { bytes = try Zstd.decompress(stored) } catch {
                throw ZooError.corrupt("blob \(digest.short) at \(path) does not decompress (\(error))")
            }
            if let width = encoding.planeWidth { bytes = Self.unshuffle(bytes, width: width) }
        }
        let actual = SHA256.hash(bytes)
        guard actual == digest else {
            throw ZooError.corrupt("blob \(digest.short) at \(path) is corrupt: its bytes hash to \(actual.short)")
        }
        return bytes
    }

    public struct Entry: Sendable {
        public var digest: Digest
        public var path: String
        public var storedBytes: Int64
    }

    public func entries() -> [Entry] {
        var result: [Entry] = []
        let manager = FileManager.default
        guard let folders = try? manager.contentsOfDirectory(atPath: root) else { return [] }
        for folder in folders.sorted() where folder.count == 2 {
            guard let names = try? manager.contentsOfDirectory(atPath: root + "/" + folder) else { continue }
            for name in names.sorted() {
                guard let digest = Digest(hex: String(name.prefix(64))), Encoding(rawValue: String(name.dropFirst(64))) != nil else { continue }
                let path = root + "/" + folder + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                result.append(Entry(digest: digest, path: path, storedBytes: Int64(info.st_size)))
            }
        }
        return result
    }

    // MARK: - byte planes

    /// Byte p of every `width`-byte value goes to plane p; a tail that fills no value stays last.
    public static func shuffle(_ bytes: [UInt8], width: Int) -> [UInt8] {
        let values = bytes.count / width
        var out = [UInt8](repeating: 0, count: bytes.count)
        bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for plane in 0..<width {
                    let base = plane * values
                    for index in 0..<values { output[base + index] = input[index &* width &+ plane] }
                }
                for tail in values * width..<bytes.count { output[tail] = input[tail] }
            }
        }
        return out
    }

    public static func unshuffle(_ bytes: [UInt8], width: Int) -> [UInt8] {
        let values = bytes.count / width
        var out = [UInt8](repeating: 0, count: bytes.count)
        bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for plane in 0..<width {
                    let base = plane * values
                    for index in 0..<values { output[index &* width &+ plane] = input[base + index] }
                }
                for tail in values * width..<bytes.count { output[tail] = input[tail] }
            }
        }
        return out
    }
}
