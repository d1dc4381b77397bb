import Foundation
import Testing

@testable import SLMCore

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hash("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = SHA256()
        hasher.update(Array(bytes[0..<7]))
        hasher.update(Array(bytes[7...]))
        #expect(hasher.finish() == SHA256.hash(bytes))
    }

    @Test func fileHashMatchesMemoryHash() throws {
        let path = NSTemporaryDirectory() + "sha-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Larger than one read chunk, and not a multiple of it.
        let bytes = (0..<(ReadableFile.chunkSize + 12345)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8)) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (digest, size) = try SHA256.hashFile(atPath: path)
        #expect(size == Int64(bytes.count))
        #expect(digest == SHA256.hash(bytes))
    }

    @Test func digestParsing() {
        let hex = String(repeating: "ab", count: 32)
        #expect(Digest(hex: hex)?.hex == hex)
        #expect(Digest(hex: "sha256:" + hex.uppercased())?.hex == hex)
        #expect(Digest(hex: "abc") == nil)
        #expect(Digest(hex: String(repeating: "g", count: 64)) == nil)
        #expect(Digest(hex: "") == nil)
    }
}
