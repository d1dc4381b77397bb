import Foundation
import SLMCore
import SLMPipeline
import Testing

@testable import SLMStages

/// kill -9 during training, then rerun: the train stage resumes from its last checkpoint and
/// ends with the same weights, bit for bit, as an uninterrupted run with the same seed.
@Suite struct TrainResumeTests {
    /// The `slmflow` binary beside the test bundle (built by `swift build --build-tests`).
    static var binary: String? {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("slmflow").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A checkpoint's `latest` pointer under any stage key of the workspace, if one exists yet.
    static func checkpointExists(in root: String) -> Bool {
        let stateRoot = root + "/cache/stage-state"
        let keys = (try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []
        return keys.contains { FileManager.default.fileExists(atPath: stateRoot + "/" + $0 + "/checkpoints/latest") }
    }

    /// Starts `slmflow run p.yaml` in the sandbox, output discarded.
    static func start(_ binary: String, in sandbox: StageSandbox) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "p.yaml", "--workspace", sandbox.root, "-j", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The 40-step Mu of `TrainStageTests.pipeline`, on its answers or (`prefix-lm`, whose cuts
    /// come from the same checkpointed generator as the rows) on decoder-only shards.
    static func pipeline(objective: String) -> String {
        let seq2seq = TrainStageTests.pipeline(trainSteps: 40, extra: SharedStages.decoderShards)
        guard objective == "prefix-lm" else { return seq2seq }
        let mu = "    architecture: mu\n    data: tok.shards\n"
        precondition(seq2seq.contains(mu), "TrainStageTests.pipeline changed its mu stage")
        return seq2seq.replacingOccurrences(of: mu, with: "    architecture: mu\n    objective: prefix-lm\n    data: tokdec.shards\n")
    }

    /// Every run is a child process of its own: BLAS thread settings are process-wide, and
    /// other tests training in this process at the same time would change them under a run.
    @Test(arguments: ["seq2seq", "prefix-lm"])
    func killedTrainingResumesToTheSameWeights(objective: String) throws {
        guard let binary = Self.binary else {
            Issue.record("the slmflow binary is not built beside the tests (run swift build --build-tests)")
            return
        }
        let pipeline = Self.pipeline(objective: objective)
        let reference = try StageSandbox()
        try reference.write(pipeline, to: "p.yaml")
        let uninterrupted = try Self.start(binary, in: reference)
        uninterrupted.waitUntilExit()
        #expect(uninterrupted.terminationStatus == 0)
        let expected = try reference.data("out/tr/mu/model/model.safetensors")

        let sandbox = try StageSandbox()
        try sandbox.write(pipeline, to: "p.yaml")
        let killed = try Self.start(binary, in: sandbox)
        // Poll (no timing assertion): kill as soon as the first checkpoint is committed.
        while killed.isRunning && !Self.checkpointExists(in: sandbox.root) { usleep(1000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/out/tr/mu/model/model.safetensors"))

        let rerun = try Self.start(binary, in: sandbox)
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)
        let log = try String(contentsOfFile: sandbox.root + "/cache/logs/tr/mu.log", encoding: .utf8)
        #expect(log.contains("resuming from step "), "\(log)")
        #expect(try sandbox.data("out/tr/mu/model/model.safetensors") == expected)
        let curve = try JSONFiles.decode(LossCurve.self, from: sandbox.data("out/tr/mu/model/loss_curve.json"), path: "curve")
        #expect(curve.train.map(\.step) == Array(1...40))
    }
}
