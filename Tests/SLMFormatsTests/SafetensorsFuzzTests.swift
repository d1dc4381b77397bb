import Foundation
import Testing
import SLMTensor
import SLMFormats

/// Corrupted files must throw or load, never crash: every truncation length and a few
/// hundred seeded byte mutations of a valid file.
@Suite struct SafetensorsFuzzTests {
    let scratch: TemporaryDirectory
    init() throws { scratch = try TemporaryDirectory() }

    func validFileBytes() throws -> [UInt8] {
        let path = scratch.file("seed.safetensors").path
        try SafetensorsWriter.write(
            ["a.weight": Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), "b": Tensor(shape: [1], values: [7])],
            to: path, as: .bfloat16, metadata: ["k": "v"])
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Opens the bytes and reads every tensor; returns whether that succeeded.
    func load(_ bytes: [UInt8], at url: URL) throws -> Bool {
        try Data(bytes).write(to: url)
        do {
            let file = try SafetensorsFile(path: url.path)
            for name in file.names { _ = try file.tensor(name) }
            return true
        } catch is SafetensorsError {
            return false
        }
    }

    @Test func everyTruncationThrowsCleanly() throws {
        let bytes = try validFileBytes()
        let url = scratch.file("cut.safetensors")
        #expect(try load(bytes, at: url))
        for length in 0..<bytes.count {
            #expect(try !load(Array(bytes.prefix(length)), at: url), "prefix \(length) loaded")
        }
    }

    @Test func randomByteMutationsNeverCrash() throws {
        let bytes = try validFileBytes()
        let url = scratch.file("mutated.safetensors")
        var rng = SeededRNG(seed: 2024)
        var failures = 0
        for _ in 0..<400 {
            var mutated = bytes
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let index = Int(rng.next() % UInt64(mutated.count))
                mutated[index] = UInt8(truncatingIfNeeded: rng.next())
            }
            if try !load(mutated, at: url) { failures += 1 }
        }
        #expect(failures > 0)  // the corpus does exercise the error paths
    }
}
