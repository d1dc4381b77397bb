import Foundation
import SLMCore
import SLMPipeline
import Testing

@testable import SLMStages

/// kill -9 during distillation, then rerun: the distill stage resumes from its last checkpoint
/// (the samples' seeds come from the checkpointed generator) and ends with the same weights,
/// bit for bit, as an uninterrupted run. Runs `slmflow` as child processes, as TrainResumeTests.
@Suite struct DistillResumeTests {
    /// The pipeline's train stages take fewer steps than their checkpoint interval, so the
    /// first checkpoint under cache/stage-state is the distill stage's.
    static let pipeline = DistillStageTests.pipeline.replacingOccurrences(of: "    steps: 4\n", with: "    steps: 16\n")

    @Test func killedDistillationResumesToTheSameWeights() throws {
        guard let binary = TrainResumeTests.binary else {
            Issue.record("the slmflow binary is not built beside the tests (run swift build --build-tests)")
            return
        }
        #expect(Self.pipeline.contains("steps: 16"))
        let reference = try StageSandbox()
        try reference.write(Self.pipeline, to: "p.yaml")
        let uninterrupted = try TrainResumeTests.start(binary, in: reference)
        uninterrupted.waitUntilExit()
        #expect(uninterrupted.terminationStatus == 0)
        let expected = try reference.data("out/kd/kd/model/model.safetensors")

        let sandbox = try StageSandbox()
        try sandbox.write(Self.pipeline, to: "p.yaml")
        let killed = try TrainResumeTests.start(binary, in: sandbox)
        // Poll (no timing assertion): kill as soon as the first checkpoint is committed.
        while killed.isRunning && !TrainResumeTests.checkpointExists(in: sandbox.root) { usleep(1000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        #expect(killed.terminationReason == .uncaughtSignal, "the run ended before it could be killed")

        let rerun = try TrainResumeTests.start(binary, in: sandbox)
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)
        let log = try String(contentsOfFile: sandbox.root + "/cache/logs/kd/kd.log", encoding: .utf8)
        #expect(log.contains("resuming from step "), "\(log)")
        #expect(try sandbox.data("out/kd/kd/model/model.safetensors") == expected)
        let curve = try JSONFiles.decode(LossCurve.self, from: sandbox.data("out/kd/kd/model/loss_curve.json"), path: "curve")
        #expect(curve.train.map(\.step) == Array(1...16))
    }
}
