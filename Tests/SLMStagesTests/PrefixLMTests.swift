import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMTensor
import SLMTrain
import SLMZoo
import Testing

@testable import SLMStages

/// `objective: prefix-lm`: a Mu trained on decoder-only shards, each sequence cut in two.
@Suite struct PrefixLMTests {
    @Test func everyCutLeavesAnIdOnEachSideAndMovesWithTheFraction() {
        for length in 2...40 {
            var previous = 0
            for step in 0...100 {
                let cut = TokenBatch.prefixCut(length: length, fraction: Double(step) / 100)
                #expect((1..<length).contains(cut), "length \(length), fraction \(step)%: cut \(cut)")
                #expect(cut >= previous)
                previous = cut
            }
            #expect(TokenBatch.prefixCut(length: length, fraction: 0) == 1)
            #expect(TokenBatch.prefixCut(length: length, fraction: 0.999_999) == length - 1)
        }
        let fractions = (0..<64).map(TokenBatch.spreadFraction)
        #expect(fractions.allSatisfy { (0..<1).contains($0) })
        #expect(Set(fractions.map { Int($0 * 8) }).count == 8, "the validation cuts cover every eighth of [0, 1)")
    }

    @Test func aBatchCutsEveryRowAtItsFractionAndPadsBothHalves() {
        var split = TokenShards.Split()
        split.sequences = [[5, 6, 7, 8, 9, 2], [10, 11, 2], [12, 2], [3, 4, 5, 6, 7, 8, 9, 10, 2]]
        let (pad, start): (Int32, Int32) = (0, 1)
        let rows = [0, 1, 2, 3]
        let batch = TokenBatch.prefixLM(split, rows: rows, fraction: 0.5, pad: pad, start: start)
        #expect(batch.rows == 4)
        let cuts = rows.map { TokenBatch.prefixCut(length: split.sequences[$0].count, fraction: 0.5) }
        #expect(cuts == [3, 2, 1, 5])
        let sourceWidth = batch.source.count / 4, targetWidth = batch.input.count / 4
        #expect(sourceWidth == 5 && targetWidth == 4 && batch.labels.count == batch.input.count)
        for (i, row) in rows.enumerated() {
            let sequence = split.sequences[row], cut = cuts[i]
            let source = Array(batch.source[(i * sourceWidth)..<((i + 1) * sourceWidth)])
            let input = Array(batch.input[(i * targetWidth)..<((i + 1) * targetWidth)])
            let labels = Array(batch.labels[(i * targetWidth)..<((i + 1) * targetWidth)])
            let rest = Array(sequence[cut...])
            #expect(source == Array(sequence[..<cut]) + Array(repeating: pad, count: sourceWidth - cut))
            #expect(labels == rest + Array(repeating: pad, count: targetWidth - rest.count))
            #expect(input == [start] + rest.dropLast() + Array(repeating: pad, count: targetWidth - rest.count))
        }
        #expect(batch.tokens == split.sequences.map(\.count).reduce(0, +))
    }

    /// Sequences whose continuation is fixed by their prefix: a run of consecutive symbols
    /// (3..<vocab, wrapping) whose length the first symbol sets, then EOS. A tiny Mu trained
    /// on random cuts then writes, from any cut, exactly the rest of the sequence: the encoder
    /// carries the first id, the last id and the count the continuation depends on.
    @Test func aMuTrainedAsAPrefixLMContinuesFromAnyCut() throws {
        let vocab: Int32 = 20, (bos, eos): (Int32, Int32) = (1, 2)
        func sequence(first: Int32) -> [Int32] {
            let length = 4 + Int(first % 5)
            return (0..<length).map { 3 + (first - 3 + Int32($0)) % (vocab - 3) } + [eos]
        }
        var split = TokenShards.Split()
        split.sequences = (3..<vocab).map(sequence)
        let model = MuModel(config: MuConfig(encoderLayers: 2, decoderLayers: 2, width: 48, qkvWidth: 48, heads: 4, kvHeads: 2,
                                             mlpWidth: 96, vocabSize: Int(vocab), dropout: 0, bosTokenID: Int(bos),
                                             eosTokenID: Int(eos)), seed: 5)
        let steps = 1200
        let trainer = Trainer(model: .mu(model), options: TrainingOptions(
            learningRate: 5e-3, schedule: .warmupCosine(warmup: 20, total: steps), maxGradNorm: 1.0, seed: 2))
        var last = Double.infinity
        for _ in 0..<steps {
            last = try trainer.trainStep { fp, rng in
                let rows = (0..<24).map { _ in Int(rng.next() % UInt64(split.sequences.count)) }
                let b = TokenBatch.prefixLM(split, rows: rows, fraction: rng.nextUnitDouble(), pad: 0, start: bos)
                return try model.loss(source: b.source, decoderInput: b.input, labels: b.labels, batch: b.rows, fp)
            }.loss
        }
        #expect(last < 0.1, "final loss \(last)")
        var prefixes: [[Int32]] = [], rests: [[Int32]] = []
        for s in split.sequences {
            for cut in 1..<s.count {
                prefixes.append(Array(s[..<cut]))
                rests.append(Array(s[cut...]))
            }
        }
        let generated = try Generator(model: .mu(model)).generate(prompts: prefixes, options: GenerationOptions(maxNewTokens: 12))
        let wrong = zip(prefixes, zip(rests, generated)).filter { $1.0 != $1.1 }
        #expect(wrong.isEmpty, "\(wrong.count) of \(prefixes.count) continuations wrong, e.g. \(wrong.prefix(3).map { "\($0.0) → \($0.1.1), not \($0.1.0)" })")
    }

    static let pipeline = TrainStageTests.pipeline(trainSteps: 1, extra: SharedStages.decoderShards + """
          mu_lm:
            kind: train
            architecture: mu
            objective: prefix-lm
            data: tokdec.shards
            steps: 24
            batch_size: 8
            lr: 0.003
            warmup_steps: 2
            eval_interval: 12
            eval_batches: 2
            checkpoint_interval: 0
            seed: 7

        """)

    @Test func aPrefixLMStageTrainsTheMuOnDecoderOnlyShards() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline)
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")
        guard case .mu = try ModelFolder.load(sandbox.root + "/out/tr/mu_lm/model") else { Issue.record("not a Mu model"); return }
        let curve = try JSONFiles.decode(LossCurve.self, from: sandbox.data("out/tr/mu_lm/model/loss_curve.json"), path: "curve")
        let first = curve.train.prefix(3).map(\.loss).reduce(0, +) / 3, last = curve.train.suffix(3).map(\.loss).reduce(0, +) / 3
        #expect(last < first - 0.5, "loss \(first) → \(last)")
        #expect(curve.validation.map(\.step) == [12, 24])
        let manifest = try ZooStore(workspaceRoot: sandbox.root).resolve("tr-mu_lm")
        #expect(manifest.producer?.params?.objectValue?["objective"] == .string("prefix-lm"))
        #expect(manifest.lineage.contains { $0.relation == .data && $0.target == "out/tr/tokdec/shards" })

        // The same seed draws the same rows and cuts: a second workspace ends with the same weights.
        let again = try StageSandbox()
        _ = try again.run(Self.pipeline)
        #expect(try again.data("out/tr/mu_lm/model/model.safetensors") == sandbox.data("out/tr/mu_lm/model/model.safetensors"))
    }

    @Test func anObjectiveThatDoesNotFitTheArchitectureIsLocatedAtLoad() throws {
        let sandbox = try StageSandbox()
        for (architecture, objective, expected) in [("decoder", "prefix-lm", "does not train a decoder model (use causal-lm)"),
                                                    ("mu", "causal-lm", "does not train a mu model (use seq2seq or prefix-lm)"),
                                                    ("llama", "seq2seq", "does not train a llama model (use causal-lm)"),
                                                    ("mu", "denoise", "denoise")] {
            let extra = SharedStages.decoderShards + """
                  other:
                    kind: train
                    architecture: \(architecture)
                    objective: \(objective)
                    data: tokdec.shards
                    steps: 1

                """
            let pipeline = TrainStageTests.pipeline(trainSteps: 1, extra: extra)
            let error = #expect(throws: PipelineError.self) { try sandbox.run(pipeline) }
            let text = error.map { "\($0)" } ?? ""
            // Located at the stage's `objective:` line (1-based) of the pipeline file.
            let line = (pipeline.components(separatedBy: "\n").firstIndex { $0.contains("objective: \(objective)") } ?? -2) + 1
            #expect(text.contains(expected) && text.contains(":\(line):"), "\(architecture) with \(objective): \(text)")
        }
    }

    @Test func aMuOnDecoderOnlyShardsWithoutTheObjectiveIsToldOfIt() throws {
        let sandbox = try StageSandbox()
        let extra = SharedStages.decoderShards + """
              other:
                kind: train
                architecture: mu
                data: tokdec.shards
                steps: 1

            """
        let report = try sandbox.run(TrainStageTests.pipeline(trainSteps: 1, extra: extra))
        let message = report.stages.first { $0.name == "other" }?.error ?? ""
        #expect(message.contains("decoder-only shards") && message.contains("objective: prefix-lm"), "\(message)")
    }
}
