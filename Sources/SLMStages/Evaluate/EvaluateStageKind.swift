import Foundation
import SLMCore
import SLMEval
import SLMPipeline
import SLMTensor

/// `kind: evaluate`: models × one task. Each model (a train or distill stage's `model`
/// folder) decodes the split's prompts greedily in batches; the predictions are scored with
/// the task's metrics (SQuAD v2 EM/F1, ROUGE-1/2/L, BLEU-4) and written, with a comparison
/// table (Markdown and JSON, the best of each column in bold), to the `table` output.
/// Scores are the stage's metrics and go into each model's workspace-zoo manifest
/// (docs/pipelines.md, evaluate). A model whose files, prompts and decoding settings were
/// already decoded in this workspace reuses those predictions (`PredictionMemo`), unless the
/// stage is forced.
public struct EvaluateStageKind: StageKind {
    public init() {}

    public let name = "evaluate"
    public let version = 1
    public let summary = "decode models greedily on a dataset split and score them (SQuAD v2, ROUGE, BLEU)"
    public let fixedOutputs = ["table"]
    public let parameters: [ParameterSchema] = [
        ParameterSchema("models", .list(.stageOutput), required: true, help: "train/distill stages whose model folders to evaluate"),
        ParameterSchema("data", .stageOutput, required: true, help: "a synth-qa or fetch-dataset stage (its record folder)"),
        ParameterSchema("split", .string, default: "test", help: "the split to evaluate: train, validation or test"),
        ParameterSchema("task", .string, default: "squad2", help: "squad2 (exact, f1), rouge (rouge1, rouge2, rougeL) or bleu (CodeXGLUE BLEU-4)"),
        ParameterSchema("limit", .integer, default: .null, help: "at most this many examples (the first of the split)"),
        ParameterSchema("batch_size", .integer, default: 16, help: "prompts decoded together"),
        ParameterSchema("max_new_tokens", .integer, default: 32, help: "generated tokens per example, EOS included"),
        ParameterSchema("source_length", .integer, default: .null, help: "keep the first N prompt ids (the tokenize stage's max_source_length)"),
        ParameterSchema("unanswerable_target", .string, default: .string("unanswerable"),
                        help: "squad2: the target text of unanswerable questions; predicting it is the empty answer"),
        ParameterSchema("register", .boolean, default: true, help: "write the scores into the models' zoo manifests"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        checkChoice(parameters, "task", EvaluationTask.allCases.map(\.rawValue), locations: locations, into: &problems)
        checkChoice(parameters, "split", ["train", "validation", "test"], locations: locations, into: &problems)
        checkRange(parameters, "limit", 1...1e12, locations: locations, into: &problems)
        checkRange(parameters, "batch_size", 1...1e6, locations: locations, into: &problems)
        checkRange(parameters, "max_new_tokens", 1...1e6, locations: locations, into: &problems)
        checkRange(parameters, "source_length", 1...1e9, locations: locations, into: &problems)
        let models = parameters["models"]?.arrayValue ?? []
        if models.isEmpty {
            problems.append(Diagnostic("'models' needs at least one train or distill stage", at: locations["models"]))
        }
        // `stage.output` names an output: models are the `model` outputs of train/distill stages.
        for reference in models.compactMap(\.stringValue) {
            if let dot = reference.lastIndex(of: "."), reference[reference.index(after: dot)...] != "model" {
                problems.append(Diagnostic(
                    "'models' entry '\(reference)' is not a model: write the train or distill stage's name (its 'model' output)",
                    at: locations["models"]))
            }
        }
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        try Parallel.asConcurrentJob { try evaluate(invocation) }
    }

    private func evaluate(_ invocation: StageInvocation) throws -> StageOutcome {
        let stage = "stage '\(invocation.stage)' (key \(invocation.key.hex.prefix(12)))"
        let p = StageParameters(values: invocation.parameters)
        guard let task = EvaluationTask(rawValue: p.string("task", "squad2")) else {
            throw StageFailure("\(stage): 'task' must be one of \(EvaluationTask.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let tableFolder = invocation.outputs["table"], let dataFolder = invocation.inputs["data"]?.first else {
            throw StageFailure("\(stage): missing the data input or the table output")
        }
        let folders = invocation.inputs["models"] ?? []
        guard !folders.isEmpty else { throw StageFailure("\(stage): 'models' names no model") }
        // A model producer writes config.json into its `model` output; anything else is refused by name.
        for folder in folders where !FileManager.default.fileExists(atPath: folder + "/config.json") {
            throw StageFailure("\(stage): 'models' entry '\(producerStage(folder))' is not a model producer: it wrote \(folder), which holds no config.json (use a train or distill stage)")
        }
        let unanswerable = p.string("unanswerable_target", "unanswerable")
        let examples = try EvaluationSet.load(folder: dataFolder, split: p.string("split", "test"), task: task,
                                              limit: p.isSet("limit") ? p.int("limit", 0) : nil, stage: stage)
        let batchSize = p.int("batch_size", 16), maxNewTokens = p.int("max_new_tokens", 32)
        let sourceLength = p.isSet("source_length") ? p.int("source_length", 0) : nil
        let log = StageLog(path: invocation.logPath)
        do {
            try FileManager.default.createDirectory(atPath: tableFolder, withIntermediateDirectories: true)
        } catch {
            throw StageFailure("\(stage): cannot create \(tableFolder): \(error)")
        }

        var table = ComparisonTable()
        var metrics: [String: JSONValue] = ["examples": .int(Int64(examples.count))]
        let memo: PredictionMemo
        do {
            memo = try PredictionMemo(workspace: invocation.workspace, kindVersion: version, sources: examples.map(\.source),
                                      batchSize: batchSize, maxNewTokens: maxNewTokens, sourceLength: sourceLength)
        } catch {
            throw StageFailure("\(stage): reading the slmflow executable for the predictions' memo key: \(error)")
        }
        for folder in folders {
            let label = producerStage(folder)
            let memoKey: Digest?
            do { memoKey = try memo.key(modelFolder: folder) } catch {
                throw StageFailure("\(stage): reading the model files of \(label) in \(folder): \(error)")
            }
            let predictions: [String], seconds: Double
            let memoised = invocation.forced ? nil : memo.load(memoKey)
            if let entry = memoised {
                (predictions, seconds) = (entry.predictions, entry.seconds)
                invocation.notice("\(label): same weights, prompts and decoding settings as before: its predictions are reused")
            } else {
                let clock = Date()
                let predictor = try ModelPredictor(folder: folder, stage: stage)
                predictions = try predictor.predict(
                    examples.map(\.source), batchSize: batchSize, maxNewTokens: maxNewTokens, sourceLength: sourceLength
                ) { done in invocation.progress("\(label): \(done)/\(examples.count) examples") }
                seconds = Date().timeIntervalSince(clock)
                // The memo only saves work: a failure to write it costs the next run a decode.
                do { try memo.store(memoKey, .init(predictions: predictions, seconds: seconds)) } catch {
                    log.write("\(label): predictions not memoised: \(error)")
                }
            }
            let scores: [TaskScore]
            do {
                scores = try PredictionScorer.score(task: task, examples: examples, predictions: predictions, unanswerableTarget: unanswerable)
            } catch let failure as StageFailure {
                throw StageFailure("\(stage): scoring \(label): \(failure.message)")
            }
            let lines = zip(examples, predictions).map { example, prediction in
                PredictionLine(id: example.id, prediction: prediction,
                               scored: task == .squad2 ? PredictionScorer.squadAnswer(prediction, unanswerableTarget: unanswerable) : prediction,
                               references: example.references)
            }
            do {
                try writeJSONL(lines, to: tableFolder + "/\(label).predictions.jsonl")
                for score in scores where score.headline {
                    try table.set(model: label, task: task.rawValue, metric: score.metric, value: score.value, higherIsBetter: score.higherIsBetter)
                }
            } catch {
                throw StageFailure("\(stage): writing the results of \(label): \(error)")
            }
            var modelMetrics: [String: JSONValue] = [:]
            for score in scores { modelMetrics[score.metric] = .double(score.value) }
            modelMetrics["seconds"] = .double(seconds)
            modelMetrics["predictions_reused"] = .bool(memoised != nil)
            if p.values["register"]?.boolValue ?? true {
                do {
                    if let zoo = try EvaluationZooMetrics.record(scores, task: task.rawValue, modelFolder: folder,
                                                                  pipeline: invocation.pipeline, workspace: invocation.workspace) {
                        modelMetrics["zoo_model"] = .string(zoo)
                        log.write("\(label): scores recorded in the zoo manifest of \(zoo)")
                    }
                } catch {
                    throw StageFailure("\(stage): writing \(label)'s scores into the zoo (\(invocation.workspace)/zoo): \(error)")
                }
            }
            metrics[label] = .object(modelMetrics)
            log.write("\(label): " + scores.map { String(format: "%@ %.4f", $0.metric, $0.value) }.joined(separator: ", "))
        }
        memo.saveHashes()
        do {
            try AtomicFile.write(Data(table.markdown().utf8), to: tableFolder + "/comparison.md")
            try AtomicFile.write(try JSONFiles.encode(table.json), to: tableFolder + "/comparison.json")
        } catch {
            throw StageFailure("\(stage): writing the comparison table in \(tableFolder): \(error)")
        }
        log.write(table.markdown())
        // The table itself, on the terminal too: it is what a run of an experiment is for.
        invocation.notice("\(folders.count) model(s) × \(examples.count) examples (\(invocation.relative(tableFolder))/comparison.md):")
        for line in table.markdown().split(separator: "\n") { invocation.notice(String(line)) }
        return StageOutcome(metrics: metrics)
    }

    /// The row name of a model: the stage that wrote the folder (`out/<pipeline>/<stage>/model`),
    /// taken from the path so it cannot drift from the folder it labels.
    func producerStage(_ folder: String) -> String {
        URL(fileURLWithPath: folder).standardizedFileURL.deletingLastPathComponent().lastPathComponent
    }

    private func writeJSONL(_ lines: [PredictionLine], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for line in lines {
            data.append(try encoder.encode(line))
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: path)
    }
}
