import Foundation
import SLMCore
import SLMEval
import SLMPipeline
import SLMZoo
import Testing

@testable import SLMStages

/// `kind: evaluate` through the Runner, and the prediction → metric path with fixed predictions.
@Suite struct EvaluateStageTests {
    static let data = """
        slmflow: 1
        name: ev
        stages:
          synth:
            kind: synth-qa
            seed: 5
            records: 120
          tok:
            kind: tokenize
            data: synth
            vocab_size: 400
            max_source_length: 48
            max_target_length: 8

        """

    static let pipeline = data + SharedStages.decoderShards + """
          mu:
            kind: train
            architecture: mu
            data: tok.shards
            steps: 8
            batch_size: 8
            lr: 0.003
            checkpoint_interval: 0
            seed: 7
          dec:
            kind: train
            architecture: decoder
            same_params_as: mu
            data: tokdec.shards
            steps: 4
            batch_size: 8
            checkpoint_interval: 0
            seed: 7
          eval:
            kind: evaluate
            models: [mu, dec.model]
            data: synth
            limit: 6
            batch_size: 4
            max_new_tokens: 5
            source_length: 48
        """

    @Test func trainedModelsAreDecodedScoredAndTabulated() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline)
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")

        let markdown = String(decoding: try sandbox.data("out/ev/eval/table/comparison.md"), as: UTF8.self)
        #expect(markdown.contains("squad2 exact") && markdown.contains("squad2 f1"), "\(markdown)")
        #expect(markdown.contains("| mu ") && markdown.contains("| dec "), "\(markdown)")
        #expect(!markdown.contains("HasAns"), "the table holds the headline metrics")
        let json = try JSONFiles.decode(JSONValue.self, from: sandbox.data("out/ev/eval/table/comparison.json"), path: "comparison.json")
        let table = try ComparisonTable(json: json)
        #expect(table.models == ["mu", "dec"])
        for model in ["mu", "dec"] {
            for metric in ["exact", "f1"] {
                let value = table.value(model: model, task: "squad2", metric: metric)
                #expect(value.map { $0.isFinite && $0 >= 0 && $0 <= 100 } == true, "\(model) \(metric): \(String(describing: value))")
            }
            let lines = try EvaluationSet.readLines(sandbox.root + "/out/ev/eval/table/\(model).predictions.jsonl", as: PredictionLine.self, stage: "t")
            #expect(lines.count == 6)
            // The scores in the table are the scores of the predictions file.
            let rescored = try PredictionScorer.scoreFile(sandbox.root + "/out/ev/eval/table/\(model).predictions.jsonl",
                                                          task: .squad2, unanswerableTarget: "unanswerable")
            #expect(rescored.first { $0.metric == "f1" }?.value == table.value(model: model, task: "squad2", metric: "f1"))
        }

        // Each model's scores are in its zoo manifest, and a cached rerun leaves the manifests as they were.
        let store = ZooStore(workspaceRoot: sandbox.root)
        let mu = try store.resolve("ev-mu")
        #expect(mu.metrics["eval/ev/squad2/f1"] == table.value(model: "mu", task: "squad2", metric: "f1"))
        #expect(mu.metrics["final_train_loss"] != nil, "the train metrics stay")
        #expect(mu.metrics["eval/ev/squad2/HasAns_f1"] != nil)
        #expect(try store.resolve("ev-dec").metrics["eval/ev/squad2/exact"] == table.value(model: "dec", task: "squad2", metric: "exact"))
        let again = try sandbox.run(Self.pipeline)
        #expect(again.stages.allSatisfy { $0.status == .cached })
        #expect(try store.resolve("ev-mu") == mu)
    }

    /// Retraining one model reruns the stage, but only that model is decoded again: the other
    /// one's predictions come from the memo and equal what decoding it again gives.
    @Test func onlyTheModelThatChangedIsDecodedAgain() throws {
        let sandbox = try StageSandbox()
        func evalMetrics(_ report: RunReport) -> [String: JSONValue] {
            guard let hex = report.stages.first(where: { $0.name == "eval" })?.key, let key = Digest(hex: hex) else { return [:] }
            return Workspace(root: sandbox.root).runCache.record(for: key)?.metrics ?? [:]
        }
        func reused(_ report: RunReport, _ model: String) -> Bool? { evalMetrics(report)[model]?.objectValue?["predictions_reused"]?.boolValue }
        func predictions(_ model: String) throws -> [String] {
            try EvaluationSet.readLines(sandbox.root + "/out/ev/eval/table/\(model).predictions.jsonl", as: PredictionLine.self,
                                        stage: "t").map(\.prediction)
        }
        let first = try sandbox.run(Self.pipeline)
        #expect(first.succeeded && reused(first, "mu") == false && reused(first, "dec") == false)
        let muPredictions = try predictions("mu")

        let retrained = Self.pipeline.replacingOccurrences(of: "steps: 4", with: "steps: 5")
        let second = try sandbox.run(retrained)
        let status = Dictionary(uniqueKeysWithValues: second.stages.map { ($0.name, $0.status) })
        #expect(status["dec"] == .ran && status["mu"] == .cached && status["eval"] == .ran)
        #expect(reused(second, "mu") == true && reused(second, "dec") == false)
        #expect(try predictions("mu") == muPredictions)
        // --force decodes everything again.
        let forced = try sandbox.run(retrained, force: ["eval"])
        #expect(forced.succeeded && reused(forced, "mu") == false && reused(forced, "dec") == false)
        #expect(try predictions("mu") == muPredictions)

        // Without the memo (gc --memo), decoding the Mu again gives the same predictions.
        let collected = try CacheMaintenance(workspace: Workspace(root: sandbox.root)).collect(memo: true) { _ in }
        #expect(collected.removedMemoEntries == 3)
        let third = try sandbox.run(retrained + "\n    register: false\n")
        #expect(third.succeeded && reused(third, "mu") == false && reused(third, "dec") == false)
        #expect(try predictions("mu") == muPredictions)

        // A damaged memo entry is a miss, not a failure.
        let memoRoot = Workspace(root: sandbox.root).memoRoot
        for name in FileManager.default.enumerator(atPath: memoRoot)?.allObjects as? [String] ?? [] where name.hasSuffix(".json") {
            try "{\"predictions\": [".write(toFile: memoRoot + "/" + name, atomically: true, encoding: .utf8)
        }
        let fourth = try sandbox.run(retrained + "\n    unanswerable_target: nothing\n")
        #expect(fourth.succeeded && reused(fourth, "mu") == false)
        #expect(try predictions("mu") == muPredictions)
    }

    /// The memo key reads through symbolic links (as the model loader does) and refuses to
    /// key an empty folder.
    @Test func memoKeysFollowLinksAndNeedFiles() throws {
        let sandbox = try StageSandbox()
        let memo = try PredictionMemo(workspace: sandbox.root, kindVersion: 1, sources: ["a", "b"], batchSize: 2, maxNewTokens: 3,
                                  sourceLength: nil)
        try sandbox.write("{}", to: "weights/v1.bin")
        try sandbox.write("{\"changed\": 1}", to: "weights/v2.bin")
        try sandbox.write("{}", to: "model/config.json")
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: sandbox.root + "/model/model.safetensors", withDestinationPath: sandbox.root + "/weights/v1.bin")
        try fm.createSymbolicLink(atPath: sandbox.root + "/alias", withDestinationPath: sandbox.root + "/model")
        let first = try memo.key(modelFolder: sandbox.root + "/model")
        #expect(first != nil)
        #expect(try memo.key(modelFolder: sandbox.root + "/alias") == first)
        try fm.removeItem(atPath: sandbox.root + "/model/model.safetensors")
        try fm.createSymbolicLink(atPath: sandbox.root + "/model/model.safetensors", withDestinationPath: sandbox.root + "/weights/v2.bin")
        #expect(try memo.key(modelFolder: sandbox.root + "/model") != first, "the link's target changed")
        try fm.createDirectory(atPath: sandbox.root + "/empty", withIntermediateDirectories: true)
        #expect(try memo.key(modelFolder: sandbox.root + "/empty") == nil)
    }

    @Test func aStageThatIsNotAModelProducerIsRefusedByName() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.data + """
              eval:
                kind: evaluate
                models: [synth]
                data: synth
            """)
        let eval = report.stages.first { $0.name == "eval" }
        #expect(eval?.status == .failed)
        let message = eval?.error ?? ""
        #expect(message.contains("stage 'eval' (key ") && message.contains("'models' entry 'synth' is not a model producer"), "\(message)")
    }

    @Test func aNonModelOutputIsRefusedAtLoadWithItsLine() throws {
        let sandbox = try StageSandbox()
        try sandbox.write(Self.data + """
              eval:
                kind: evaluate
                models: [tok.shards]
                data: synth
                task: squad3
            """, to: "p.yaml")
        let error = #expect(throws: PipelineError.self) {
            try PipelineLoader(registry: sandbox.registry, workspace: sandbox.root).load(sandbox.root + "/p.yaml", overrides: [])
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("'models' entry 'tok.shards' is not a model"), "\(text)")
        #expect(text.contains("p.yaml:16"), "located at the models line: \(text)")
        #expect(text.contains("'task' must be one of squad2, rouge, bleu"), "\(text)")
    }

    // MARK: predictions → metrics

    static let qaExamples = [
        EvaluationExample(id: "a", source: "", references: ["the Eiffel Tower", "Eiffel Tower"]),
        EvaluationExample(id: "b", source: "", references: []),  // unanswerable
    ]

    func squad(_ predictions: [String]) throws -> [String: Double] {
        let scores = try PredictionScorer.score(task: .squad2, examples: Self.qaExamples, predictions: predictions,
                                                unanswerableTarget: "unanswerable")
        return Dictionary(uniqueKeysWithValues: scores.map { ($0.metric, $0.value) })
    }

    @Test func theUnanswerableTargetCountsAsTheEmptyAnswer() throws {
        // Gold answers and the trained no-answer text: perfect, under the official normalisation.
        #expect(try squad(["Eiffel Tower.", "Unanswerable"]) == ["exact": 100, "f1": 100, "HasAns_exact": 100, "HasAns_f1": 100,
                                                                  "NoAns_exact": 100, "NoAns_f1": 100])
        // Saying "unanswerable" to an answerable question scores 0 there; a made-up answer to
        // an unanswerable one scores 0 too.
        let wrong = try squad(["unanswerable", "Paris"])
        #expect(wrong["exact"] == 0 && wrong["f1"] == 0)
        // An empty generation is also a no-answer.
        let empty = try squad(["", ""])
        #expect(empty["exact"] == 50 && empty["NoAns_exact"] == 100 && empty["HasAns_exact"] == 0)
        // Partial overlap: F1 of "Tower" against "Eiffel Tower" is 2/3.
        let partial = try squad(["Tower", "unanswerable"])
        #expect(abs((partial["f1"] ?? 0) - 100 * (2.0 / 3 + 1) / 2) < 1e-9)
        #expect(PredictionScorer.squadAnswer("The unanswerable", unanswerableTarget: "unanswerable") == "",
                "articles are dropped by the normalisation")
        #expect(PredictionScorer.squadAnswer("not unanswerable", unanswerableTarget: "unanswerable") == "not unanswerable")
    }

    @Test func rougeAndBleuScoreFixedPredictions() throws {
        let examples = [EvaluationExample(id: "0", source: "", references: ["returns the sum of two numbers"]),
                        EvaluationExample(id: "1", source: "", references: ["opens the file for reading"])]
        let same = try PredictionScorer.score(task: .rouge, examples: examples, predictions: examples.map { $0.references[0] },
                                              unanswerableTarget: "")
        #expect(same.map(\.metric) == ["rouge1", "rouge2", "rougeL", "rougeLsum"])
        #expect(same.allSatisfy { abs($0.value - 1) < 1e-9 })
        let half = try PredictionScorer.score(task: .rouge, examples: [examples[0]], predictions: ["returns the"], unanswerableTarget: "")
        // ROUGE-1: precision 1, recall 2/6 → F = 0.5.
        #expect(abs((half.first { $0.metric == "rouge1" }?.value ?? 0) - 0.5) < 1e-9)
        let bleu = try PredictionScorer.score(task: .bleu, examples: examples, predictions: examples.map { $0.references[0] },
                                              unanswerableTarget: "")
        #expect(bleu.map(\.metric) == ["bleu"])
        #expect((bleu.first?.value ?? 0) > 99)
        let noOverlap = try PredictionScorer.score(task: .bleu, examples: examples, predictions: ["x", "y"], unanswerableTarget: "")
        #expect((noOverlap.first?.value ?? 100) < 30)
        #expect(throws: StageFailure.self) {
            try PredictionScorer.score(task: .bleu, examples: examples, predictions: ["only one"], unanswerableTarget: "")
        }
    }

    @Test func aPredictionsFileIsScoredAsWritten() throws {
        let sandbox = try StageSandbox()
        let lines = [PredictionLine(id: "a", prediction: "Eiffel Tower", scored: "Eiffel Tower", references: ["Eiffel Tower"]),
                     PredictionLine(id: "b", prediction: "unanswerable", scored: "", references: [])]
        let encoder = JSONEncoder()
        let text = try lines.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        try sandbox.write(text, to: "p.predictions.jsonl")
        let scores = try PredictionScorer.scoreFile(sandbox.root + "/p.predictions.jsonl", task: .squad2, unanswerableTarget: "unanswerable")
        #expect(scores.first { $0.metric == "exact" }?.value == 100)
        let other = try PredictionScorer.scoreFile(sandbox.root + "/p.predictions.jsonl", task: .squad2, unanswerableTarget: "no answer")
        #expect(other.first { $0.metric == "exact" }?.value == 50, "with another no-answer text the prediction is a wrong answer")
    }
}
