import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMZoo
import Testing

@testable import SLMStages

/// `kind: train` through the Runner: tiny models, few steps.
@Suite struct TrainStageTests {
    static func pipeline(trainSteps: Int = 30, extra: String = "") -> String {
        """
        slmflow: 1
        name: tr
        stages:
          synth:
            kind: synth-qa
            seed: 3
            records: 160
            filler_sentences: 1
          tok:
            kind: tokenize
            data: synth
            vocab_size: 400
            max_source_length: 48
            max_target_length: 8
          mu:
            kind: train
            architecture: mu
            data: tok.shards
            steps: \(trainSteps)
            batch_size: 8
            lr: 0.003
            warmup_steps: 2
            eval_interval: 10
            eval_batches: 2
            checkpoint_interval: 5
            seed: 7
        \(extra)
        """
    }

    @Test func muTrainsOnTokenizedQAAndRegistersInTheZoo() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline())
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")

        let folder = sandbox.root + "/out/tr/mu/model"
        guard case .mu(let model) = try ModelFolder.load(folder) else { Issue.record("not a Mu model"); return }
        #expect(model.config.vocabSize == 400)
        #expect(FileManager.default.fileExists(atPath: folder + "/tokenizer.json"))

        let curve = try JSONFiles.decode(LossCurve.self, from: sandbox.data("out/tr/mu/model/loss_curve.json"), path: "curve")
        #expect(curve.train.count == 30)
        let first = curve.train.prefix(3).map(\.loss).reduce(0, +) / 3, last = curve.train.suffix(3).map(\.loss).reduce(0, +) / 3
        #expect(last < first - 0.5, "loss \(first) → \(last)")
        #expect(curve.validation.map(\.step) == [10, 20, 30])

        // The stage's state folder goes once it succeeded; the zoo keeps the model.
        let manifest = try ZooStore(workspaceRoot: sandbox.root).resolve("tr-mu")
        #expect(manifest.architecture == "mu")
        #expect(manifest.lineage.contains { $0.relation == .data && $0.target == "out/tr/tok/shards" && $0.digest != nil })
        #expect(manifest.producer?.stage == "mu" && manifest.producer?.seed == 7)
        #expect(manifest.metrics["validation_loss"] != nil && manifest.metrics["final_train_loss"] != nil)

        // A second run restores from the cache and leaves the zoo manifest as it was.
        let again = try sandbox.run(Self.pipeline())
        #expect(again.stages.allSatisfy { $0.status == .cached })
        #expect(try ZooStore(workspaceRoot: sandbox.root).resolve("tr-mu") == manifest)
    }

    @Test func sameParamsAsSizesTheDecoderBaselineAndInitFineTunes() throws {
        let sandbox = try StageSandbox()
        let extra = SharedStages.sizedBaseline + """
              lm:
                kind: train
                architecture: llama
                data: tokdec.shards
                steps: 2
                batch_size: 4
              tuned:
                kind: train
                architecture: mu
                init: mu
                data: tok.shards
                steps: 2
                batch_size: 4
            """
        let report = try sandbox.run(Self.pipeline(trainSteps: 2, extra: extra))
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")
        let store = ZooStore(workspaceRoot: sandbox.root)
        let mu = try store.resolve("tr-mu"), base = try store.resolve("tr-base"), tuned = try store.resolve("tr-tuned")
        #expect(base.architecture == "mu_decoder_only")
        let ratio = Double(base.parameterCount) / Double(mu.parameterCount)
        #expect(abs(ratio - 1) < 0.05, "decoder \(base.parameterCount) vs mu \(mu.parameterCount)")
        #expect(try store.resolve("tr-lm").architecture == "llama")
        #expect(tuned.lineage.contains { $0.relation == .initialization && $0.digest == mu.digest })
    }

    /// `same_params_as` reads only the Mu's config.json: retraining the Mu with other steps
    /// (new weights, same shapes) leaves the baseline's key, and the baseline, as they were.
    @Test func sameParamsAsDependsOnTheMusConfigNotItsWeights() throws {
        let sandbox = try StageSandbox()
        let extra = SharedStages.sizedBaseline
        let first = try sandbox.run(Self.pipeline(trainSteps: 2, extra: extra))
        #expect(first.stages.allSatisfy { $0.status == .ran }, "\(first.stages.map { ($0.name, $0.status, $0.error ?? "") })")
        let second = try sandbox.run(Self.pipeline(trainSteps: 3, extra: extra))
        let status = Dictionary(uniqueKeysWithValues: second.stages.map { ($0.name, $0.status) })
        #expect(status["mu"] == .ran)
        #expect(status["base"] == .cached, "\(second.stages.map { ($0.name, $0.status) })")
    }

    /// Two train stages side by side in one process share the engine's worker pool (on two
    /// cores each runs its chunks on its own thread; with more, one holds the helpers): the
    /// weights are the same, bit for bit, as when the stages run one after the other.
    @Test func stagesSideBySideTrainTheSameWeightsAsOneAtATime() throws {
        let extra = SharedStages.decoderShards + """
              lm:
                kind: train
                architecture: llama
                data: tokdec.shards
                steps: 12
                batch_size: 4

            """
        var weights: [[String: Data]] = []
        for jobs in [2, 1] {
            let sandbox = try StageSandbox()
            let report = try sandbox.run(Self.pipeline(trainSteps: 12, extra: extra), jobs: jobs)
            #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")
            weights.append(try Dictionary(uniqueKeysWithValues: ["mu", "lm"].map {
                ($0, try sandbox.data("out/tr/\($0)/model/model.safetensors"))
            }))
        }
        #expect(weights[0]["mu"] == weights[1]["mu"] && weights[0]["lm"] == weights[1]["lm"])
    }

    @Test func dataOfTheWrongLayoutIsAnErrorNamingTheStage() throws {
        let sandbox = try StageSandbox()
        let extra = """
              base:
                kind: train
                architecture: decoder
                data: tok.shards
                steps: 2
            """
        let report = try sandbox.run(Self.pipeline(trainSteps: 1, extra: extra))
        let base = report.stages.first { $0.name == "base" }
        #expect(base?.status == .failed)
        let message = base?.error ?? ""
        #expect(message.contains("stage 'base' (key ") && message.contains("encoder-decoder shards"), "\(message)")
        #expect(message.contains("layout: decoder-only"))
    }

    @Test func invalidParametersAreLocatedAtLoad() throws {
        let sandbox = try StageSandbox()
        let extra = """
              base:
                kind: train
                architecture: transformer
                data: tok.shards
                same_params_as: mu
                steps: 0
            """
        #expect(throws: PipelineError.self) { try sandbox.run(Self.pipeline(trainSteps: 1, extra: extra)) }
    }
}
