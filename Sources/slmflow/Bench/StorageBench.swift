import Foundation
import SLMCore
import SLMPipeline

/// Hashing and storing large outputs, side by side with the reference tools on the same file.
struct StorageBench {
    var megabytes: Int
    var repetitions: Int

    struct Figure: Codable {
        var tool: String
        var seconds: Samples
        var megabytesPerSecond: Double
        var ratio: Double?
        enum CodingKeys: String, CodingKey { case tool, seconds, megabytesPerSecond = "mb_per_s", ratio }
    }

    struct Result: Codable {
        var bytes: Int64
        var hashing: [Figure]
        var storing: [Figure]
    }

    func run() throws -> Result {
        let folder = NSTemporaryDirectory() + "slmflow-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/weights.f32"
        let count = megabytes << 20 / 4
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        fillWithWeights(buffer, seed: 42)
        try Data(buffer: buffer).write(to: URL(fileURLWithPath: path))
        let bytes = Double(count * 4)
        func rate(_ samples: Samples) -> Double { bytes / samples.median / 1e6 }

        var hashing: [Figure] = []
        _ = try SHA256.hashFile(atPath: path)  // warm the page cache
        let ours = try Samples.measure(repetitions) { _ = try SHA256.hashFile(atPath: path) }
        hashing.append(Figure(tool: "slmflow (OpenSSL libcrypto)", seconds: ours, megabytesPerSecond: rate(ours)))
        for tool in [["sha256sum", path], ["openssl", "dgst", "-sha256", path]] where toolExists(tool[0]) {
            let samples = try Samples.measure(repetitions) { _ = try runTool(tool) }
            hashing.append(Figure(tool: tool.dropLast().joined(separator: " "), seconds: samples, megabytesPerSecond: rate(samples)))
        }

        var storing: [Figure] = []
        var storedBytes: Int64 = 0
        let storeSamples = try Samples.measure(repetitions) {
            let root = folder + "/cache-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: root) }
            let store = BlobStore(root: root + "/blobs", temporaryFolder: root + "/tmp")
            let (digest, _) = try store.store(fileAt: path)
            storedBytes = (try FileManager.default.attributesOfItem(atPath: store.location(of: digest)?.path ?? "")[.size] as? NSNumber)?.int64Value ?? 0
        }
        storing.append(Figure(tool: "slmflow blob store (hash + zstd -3 when it pays)", seconds: storeSamples,
                              megabytesPerSecond: rate(storeSamples), ratio: bytes / Double(max(storedBytes, 1))))
        if toolExists("zstd") {
            let output = folder + "/weights.zst"
            let samples = try Samples.measure(repetitions) { _ = try runTool(["zstd", "-3", "-q", "-f", "-T1", path, "-o", output]) }
            let size = (try FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.doubleValue ?? 1
            storing.append(Figure(tool: "zstd -3 (CLI, one thread)", seconds: samples, megabytesPerSecond: rate(samples), ratio: bytes / size))
        }
        return Result(bytes: Int64(bytes), hashing: hashing, storing: storing)
    }
}
