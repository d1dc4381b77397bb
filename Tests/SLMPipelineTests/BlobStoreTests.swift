import Foundation
import SLMCore
import Testing

@testable import SLMPipeline

@Suite struct BlobStoreTests {
    func withStore(_ body: (BlobStore, String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "slm-blobs-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try body(BlobStore(root: root + "/blobs", temporaryFolder: root + "/tmp"), root)
    }

    /// Float32 values like trained weights, over more than one chunk and not a multiple of 4 bytes.
    static func weights(count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var values = [Float](repeating: 0, count: count)
        for index in values.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let uniform = Float(state >> 40) / Float(1 << 24) - 0.5
            values[index] = uniform * 0.04 + (uniform > 0.3 ? 0.01 : 0)
        }
        return values.withUnsafeBytes { Array($0) } + [1, 2, 3]
    }

    @Test func eachEncodingRoundTrips() throws {
        try withStore { store, _ in
            let text = Array((0..<300_000).map { "line \($0) of a log\n" }.joined().utf8)
            let weights = Self.weights(count: (ReadableFile.chunkSize / 4) + 1000)
            var random = SystemRandomNumberGenerator()
            let noise = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &random) }
            let tiny = Array("x".utf8)
            // Text may win either way (plain or shuffled): the trial measures both.
            let cases: [([UInt8], Set<BlobStore.Encoding>)] = [
                (text, [.zstd, .shuffledZstd]), (weights, [.shuffledZstd]), (noise, [.raw]), (tiny, [.raw]), ([], [.raw]),
            ]
            for (bytes, expected) in cases {
                let digest = try store.store(bytes: bytes)
                #expect(digest == SHA256.hash(bytes))
                #expect(expected.contains(store.location(of: digest)?.encoding ?? .raw), "\(bytes.count) bytes")
                #expect(try store.readAll(digest) == bytes)
            }
        }
    }

    @Test func shuffleRoundTripsOddSizes() {
        for count in [0, 1, 3, 4, 5, 17, 4096 + 3] {
            let input = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) }
            var shuffled = [UInt8](repeating: 0, count: count), back = [UInt8](repeating: 0, count: count)
            input.withUnsafeBytes { source in shuffled.withUnsafeMutableBytes { ByteShuffle.shuffle4(source, into: $0) } }
            shuffled.withUnsafeBytes { source in back.withUnsafeMutableBytes { ByteShuffle.unshuffle4(source, into: $0) } }
            #expect(back == input)
        }
    }

    @Test func storingTwiceKeepsOneBlobAndRestoreIsAtomic() throws {
        try withStore { store, root in
            let bytes = Array(String(repeating: "abc", count: 1000).utf8)
            let first = try store.store(bytes: bytes)
            let second = try store.store(bytes: bytes)
            #expect(first == second)
            #expect(store.entries().count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
            let target = root + "/restored.txt"
            try store.restore(first, to: target)
            #expect(FileManager.default.contents(atPath: target) == Data(bytes))
        }
    }

    @Test func flippedByteIsDetectedAndTheBlobRemoved() throws {
        try withStore { store, _ in
            let bytes = Self.weights(count: 50_000)
            let digest = try store.store(bytes: bytes)
            let (path, _) = try #require(store.location(of: digest))
            var stored = try #require(FileManager.default.contents(atPath: path))
            stored[stored.count / 2] ^= 0x40
            try FileManager.default.removeItem(atPath: path)
            _ = FileManager.default.createFile(atPath: path, contents: stored)
            #expect(throws: BlobStore.Corruption.self) { try store.verify(digest) }
            #expect(!store.contains(digest))
        }
    }
}
