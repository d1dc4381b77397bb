import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import Testing

@testable import SLMStages

/// Dry-run estimates of the model kinds (docs/pipelines.md, "Estimates").
@Suite struct EstimateTests {
    static let machine = MachineRate(sgemmGflops: 100, memoryGBps: 20, source: "test rates")

    /// A dry run with fixed machine rates: nothing runs, so every model stage would run.
    func dryRun(_ yaml: String) throws -> RunReport {
        let sandbox = try StageSandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox.root) }
        try sandbox.write(yaml, to: "p.yaml")
        let pipeline = try PipelineLoader(registry: sandbox.registry, workspace: sandbox.root).load(sandbox.root + "/p.yaml", overrides: [])
        var options = RunOptions()
        options.dryRun = true
        options.machineRate = { Self.machine }
        return try Runner(pipeline: pipeline, workspace: Workspace(root: sandbox.root), options: options, observer: nil).run()
    }

    func pipeline(steps: Int = 100, trained vocabulary: Int = 1000) -> String {
        """
        slmflow: 1
        stages:
          qa: {kind: synth-qa, records: 50}
          tok: {kind: tokenize, data: qa, vocab_size: \(vocabulary), max_source_length: 96, max_target_length: 16}
          tokdec: {kind: tokenize, data: qa, tokenizer: tok.tokenizer, layout: decoder-only, max_source_length: 96, max_target_length: 16}
          mu:
            kind: train
            architecture: mu
            data: tok
            steps: \(steps)
            batch_size: 4
            config: {n_encoder_layer: 2, n_decoder_layer: 1, n_embd: 64, qkv_embd: 64, n_head: 4, n_kv_head: 2, hidden_dim: 128}
          baseline: {kind: train, architecture: decoder, same_params_as: mu, data: tokdec, steps: \(steps), batch_size: 4}
          kd: {kind: distill, student: mu, teacher: baseline, data: tok, steps: \(steps), batch_size: 4}
          eval: {kind: evaluate, models: [mu, baseline], data: qa, limit: 20, source_length: 96, max_new_tokens: 8}
        """
    }

    func estimate(_ report: RunReport, _ stage: String) -> StageEstimate? { report.stages.first { $0.name == stage }?.estimate }

    @Test func parameterCountsMatchTheHandCount() throws {
        let report = try dryRun(pipeline())
        // Mu, width 64, qkv 64 (4 heads of 16), 2 KV heads (K/V width 32), MLP 128, vocabulary 1000:
        let embedding = 1000 * 64
        let attention = (64 * 64 + 64) + 2 * (64 * 32 + 32) + (64 * 64 + 64)  // q, k, v, out with biases
        let mlp = (64 * 128 + 128) + (128 * 64 + 64)
        let encoderBlock = 2 * 64 + attention + mlp
        let decoderBlock = 3 * 64 + 2 * attention + mlp
        let mu = embedding + 2 * encoderBlock + decoderBlock + 2 * 64
        #expect(mu == 164_224)
        #expect(estimate(report, "mu")?.parameterCount == mu)

        // The baseline is sized as the train stage sizes it: within 1% of the Mu.
        let baseline = try #require(estimate(report, "baseline")?.parameterCount)
        var widths = MuConfig(encoderLayers: 2, decoderLayers: 1, width: 64, qkvWidth: 64, heads: 4, kvHeads: 2, mlpWidth: 128, vocabSize: 1000)
        widths.blockSize = 512
        #expect(baseline == TrainModelBuilder.baseline(matching: widths).parameterCount)
        #expect(abs(Double(baseline - mu)) <= 0.01 * Double(mu))
        #expect(estimate(report, "kd")?.parameterCount == mu)
        #expect(estimate(report, "eval")?.parameterCount == mu + baseline)
        // Data stages give facts only, so they report no estimate.
        #expect(estimate(report, "qa") == nil && estimate(report, "tok") == nil)
    }

    @Test func flopsGrowLinearlyWithStepsAndTimeFollowsTheRate() throws {
        let flops = try [100, 200, 300].map { steps in try #require(estimate(try dryRun(pipeline(steps: steps)), "mu")?.flops) }
        #expect(flops[0] > 0)
        #expect(abs((flops[2] - flops[1]) - (flops[1] - flops[0])) < 1e-6 * flops[2])
        // 100 more steps cost 100 × 3 forward passes of batch 4 at the tokenize limits.
        let config = MuConfig(encoderLayers: 2, decoderLayers: 1, width: 64, qkvWidth: 64, heads: 4, kvHeads: 2, mlpWidth: 128, vocabSize: 1000)
        let forward = config.forwardFlops(batch: 4, source: 96, target: 16)
        #expect(abs((flops[1] - flops[0]) - 300 * forward) < 1e-6 * flops[1])

        let mu = try #require(estimate(try dryRun(pipeline()), "mu"))
        let seconds = try #require(mu.seconds)
        #expect(abs(seconds - (mu.flops ?? 0) / (Self.machine.sgemmGflops * 1e9 * CostModel.efficiency)) < 1e-9 * seconds)
        #expect((mu.peakMemoryBytes ?? 0) > 16 * Double(mu.parameterCount ?? 0))
    }

    /// A prefix-LM Mu reads decoder-only rows split at half their length on average: each side
    /// counts half the longest row (the tokenize limits here, 96 + 16).
    @Test func aPrefixLMMuCountsHalfTheRowOnEachSide() throws {
        let yaml = pipeline() + """

              mu_lm:
                kind: train
                architecture: mu
                objective: prefix-lm
                data: tokdec
                steps: 100
                batch_size: 4
                config: {n_encoder_layer: 2, n_decoder_layer: 1, n_embd: 64, qkv_embd: 64, n_head: 4, n_kv_head: 2, hidden_dim: 128}
            """
        let estimateOfStage = try #require(estimate(try dryRun(yaml), "mu_lm"))
        let config = MuConfig(encoderLayers: 2, decoderLayers: 1, width: 64, qkvWidth: 64, heads: 4, kvHeads: 2, mlpWidth: 128, vocabSize: 1000)
        // 100 steps of 3 forward passes, and the final validation's 8 batches.
        let forward = config.forwardFlops(batch: 4, source: 56, target: 56)
        let flops = try #require(estimateOfStage.flops)
        #expect(abs(flops - 308 * forward) < 1e-9 * flops, "\(flops) vs \(308 * forward)")
        #expect(estimateOfStage.notes.contains { $0.contains("(56 + 56)") }, "\(estimateOfStage.notes)")
    }

    @Test func distillCountsTheTeacherAndEvaluateEveryModel() throws {
        let report = try dryRun(pipeline())
        let kd = try #require(estimate(report, "kd"))
        let mu = try #require(estimate(report, "mu"))
        // Per step the student samples, trains twice and the teacher scores: more than a train step.
        #expect((kd.flops ?? 0) > (mu.flops ?? 0))
        #expect(kd.notes.contains { $0.contains("teacher 'baseline'") })
        let eval = try #require(estimate(report, "eval"))
        #expect((eval.flops ?? 0) > 0 && (eval.seconds ?? 0) > 0)
        #expect(report.machine == Self.machine)
    }

    @Test func aStageThatWillNotRunHasNoEstimateAndAnUnknownTeacherIsSaid() throws {
        let yaml = """
            slmflow: 1
            stages:
              qa: {kind: synth-qa, records: 50}
              tok: {kind: tokenize, data: qa, vocab_size: 500}
              mu: {kind: train, architecture: mu, data: tok, steps: 10}
              teacher: {kind: command, cmd: [sh, -c, "mkdir -p t"], outs: [t]}
              kd: {kind: distill, student: mu, teacher: teacher.t, data: tok, steps: 10}
            """
        let report = try dryRun(yaml)
        // A command stage's kind gives no estimate.
        #expect(estimate(report, "teacher") == nil)
        let kd = try #require(estimate(report, "kd"))
        #expect(kd.notes.contains { $0.contains("teacher 'teacher' unknown until it runs") })
        #expect(kd.parameterCount == estimate(report, "mu")?.parameterCount)
    }

    @Test func upToDateStagesReportNothingAndDoNotMeasureTheMachine() throws {
        let sandbox = try StageSandbox()
        defer { try? FileManager.default.removeItem(atPath: sandbox.root) }
        let yaml = { (steps: Int) in
            """
            slmflow: 1
            stages:
              qa: {kind: synth-qa, records: 30}
              tok: {kind: tokenize, data: qa, vocab_size: 300, max_source_length: 64, max_target_length: 8}
              mu: {kind: train, architecture: mu, data: tok, steps: \(steps), batch_size: 2, register: false, checkpoint_interval: 0}
            """
        }
        #expect(try sandbox.run(yaml(2)).succeeded)
        let asked = Counter()
        func dryRun(_ steps: Int) throws -> RunReport {
            try sandbox.write(yaml(steps), to: "p.yaml")
            let pipeline = try PipelineLoader(registry: sandbox.registry, workspace: sandbox.root).load(sandbox.root + "/p.yaml", overrides: [])
            var options = RunOptions()
            options.dryRun = true
            options.machineRate = { asked.increment(); return Self.machine }
            return try Runner(pipeline: pipeline, workspace: Workspace(root: sandbox.root), options: options, observer: nil).run()
        }
        let upToDate = try dryRun(2)
        #expect(upToDate.stages.allSatisfy { $0.estimate == nil } && upToDate.machine == nil)
        #expect(asked.value == 0)
        // More steps: only mu would run; its lengths now come from the shards, not the limits.
        let stale = try dryRun(4)
        let mu = try #require(estimate(stale, "mu"))
        #expect(mu.seconds != nil && asked.value == 1)
        #expect(mu.notes.contains { $0.contains("expected longest rows of each batch") }, "\(mu.notes)")
    }
}

@Suite struct LengthQuantileTests {
    @Test func theExpectedLongestRowGrowsWithTheBatchTowardsTheMaximum() {
        // Lengths 1…101: percentile j is 1 + j.
        let quantiles = (0...100).map { 1 + $0 }
        // One row: the mean of the bins' upper values 2…101.
        #expect(LengthQuantiles.expectedLongest(quantiles, batch: 1) == Int((Double((2...101).reduce(0, +)) / 100).rounded(.up)))
        let sizes = [1, 4, 16, 256].map { LengthQuantiles.expectedLongest(quantiles, batch: $0) }
        #expect(sizes == sizes.sorted() && Set(sizes).count == 4)
        #expect(sizes[3] <= 101 && sizes[3] >= 100)
    }

    @Test func aDamagedIndexGivesNoPercentiles() throws {
        let path = NSTemporaryDirectory() + "slm-idx-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        func write(_ offsets: [UInt64]) throws {
            var data = Data()
            for offset in offsets { withUnsafeBytes(of: offset.littleEndian) { data.append(contentsOf: $0) } }
            try data.write(to: URL(fileURLWithPath: path))
        }
        try write([0, 3, 5, 9])
        #expect(LengthQuantiles.read(path)?.first == 2 && LengthQuantiles.read(path)?.last == 4)
        try write([0, 9, 5])  // goes backwards
        #expect(LengthQuantiles.read(path) == nil)
    }
}

/// Counts calls from any thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
