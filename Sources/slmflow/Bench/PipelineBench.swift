import Foundation
import SLMPipeline

/// A fully cached `slmflow run` of an N-stage pipeline, timed as a user sees it: the
/// whole process, from exec to exit.
struct PipelineBench {
    var stages: Int
    var repetitions: Int

    struct Result: Codable {
        var stages: Int
        var firstRunSeconds: Double
        var cachedRun: Samples
        enum CodingKeys: String, CodingKey {
            case stages, firstRunSeconds = "first_run_seconds", cachedRun = "cached_run_seconds"
        }
    }

    /// Layers of five stages; each stage reads every output of the layer before it.
    static func pipelineText(stages: Int) -> String {
        var yaml = "slmflow: 1\nname: bench\nparams: {salt: 1}\nstages:\n"
        for index in 0..<stages {
            let layer = index / 5
            let deps = layer == 0 ? [] : ((layer - 1) * 5..<min(layer * 5, stages)).map { "out/s\($0).txt" }
            yaml += "  s\(index):\n    kind: command\n"
            yaml += "    cmd: [sh, -c, \"echo ${params.salt}-\(index) > out/s\(index).txt\"]\n"
            if !deps.isEmpty { yaml += "    deps: [\(deps.joined(separator: ", "))]\n" }
            yaml += "    outs: [out/s\(index).txt]\n"
        }
        return yaml
    }

    func run() throws -> Result {
        let root = NSTemporaryDirectory() + "slmflow-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.pipelineText(stages: stages).write(toFile: root + "/bench.yaml", atomically: true, encoding: .utf8)
        let binary = currentExecutable()
        func runOnce() throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["run", "bench.yaml", "--workspace", root]
            process.currentDirectoryURL = URL(fileURLWithPath: root)
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchFailure("the benchmark pipeline failed") }
        }
        let first = try Samples.measure(1, runOnce).median
        try runOnce()  // settles the stat cache: outputs written in the first run are hashed once more
        let cached = try Samples.measure(repetitions, runOnce)
        return Result(stages: stages, firstRunSeconds: first, cachedRun: cached)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
