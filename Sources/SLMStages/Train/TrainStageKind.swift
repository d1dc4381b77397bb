import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMTensor
import SLMTrain

/// `kind: train`: trains a Mu encoder–decoder, the decoder-only baseline or a Llama on a
/// tokenize stage's shards, with the seed's optimizer (AdamW, warmup + cosine, clipping,
/// accumulation). Checkpoints go to the stage's state folder every `checkpoint_interval`
/// steps, so a rerun after a kill resumes from the last one and ends bit for bit where an
/// uninterrupted run would. The model folder is the output; the model is also registered in
/// the workspace's zoo as `<pipeline>-<stage>:latest` (docs/pipelines.md, train).
public struct TrainStageKind: StageKind {
    public init() {}

    public let name = "train"
    public let version = 1
    public let summary = "train a Mu, decoder-only or Llama model on tokenized shards"
    public let fixedOutputs = ["model"]
    public let parameters: [ParameterSchema] = [
        ParameterSchema("architecture", .string, required: true, help: "mu (encoder-decoder), decoder (decoder-only baseline) or llama"),
        ParameterSchema("config", .map(.any), default: .object([:]), help: "config fields of the architecture (seed names); tiny defaults"),
        ParameterSchema("same_params_as", .stageOutput, default: .null, file: "config.json",
                        help: "a mu train stage: size a decoder baseline to its parameter count (reads its config.json only)"),
        ParameterSchema("data", .stageOutput, required: true, help: "a tokenize stage (its shards)"),
        ParameterSchema("objective", .string,
                        help: "seq2seq (mu's default: encoder-decoder shards), causal-lm (decoder and llama: the shards' loss mask) or prefix-lm (mu on decoder-only shards: each sequence cut at a random point, the decoder writes the rest)"),
        ParameterSchema("init", .stageOutput, default: .null, help: "a train stage whose model to fine-tune"),
        ParameterSchema("steps", .integer, default: 100, help: "optimizer steps"),
        ParameterSchema("batch_size", .integer, default: 8, help: "records per micro-batch"),
        ParameterSchema("accumulation", .integer, default: 1, help: "micro-batches per optimizer step"),
        ParameterSchema("lr", .number, default: .double(1e-3), help: "peak learning rate"),
        ParameterSchema("weight_decay", .number, default: .double(0.01), help: "AdamW decoupled weight decay (rank ≥ 2 tensors)"),
        ParameterSchema("betas", .list(.number), default: [.double(0.9), .double(0.98)], help: "AdamW β₁, β₂"),
        ParameterSchema("eps", .number, default: .double(1e-8), help: "AdamW ε"),
        ParameterSchema("schedule", .string, default: "cosine", help: "cosine (linear warmup then cosine to 0) or constant"),
        ParameterSchema("warmup_steps", .integer, default: 0, help: "warmup steps of the cosine schedule"),
        ParameterSchema("grad_clip", .number, default: .double(1.0), help: "global gradient-norm clip (0: none)"),
        ParameterSchema("eval_interval", .integer, default: 0, help: "validation loss every N steps (0: only at the end)"),
        ParameterSchema("eval_batches", .integer, default: 8, help: "validation batches per evaluation"),
        ParameterSchema("checkpoint_interval", .integer, default: 50, help: "checkpoint every N steps (0: none)"),
        ParameterSchema("seed", .integer, default: 1337, help: "seeds initialisation, data order and dropout"),
        ParameterSchema("register", .boolean, default: true, help: "register the model in the workspace zoo"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let p = StageParameters(values: parameters)
        checkChoice(parameters, "architecture", TrainArchitecture.allCases.map(\.rawValue), locations: locations, into: &problems)
        checkChoice(parameters, "schedule", ["cosine", "constant"], locations: locations, into: &problems)
        checkChoice(parameters, "objective", TrainObjective.allCases.map(\.rawValue), locations: locations, into: &problems)
        if let architecture = TrainArchitecture(rawValue: p.string("architecture", "")),
           let mismatch = TrainObjective.of(p, architecture: architecture)?.mismatch(architecture) {
            problems.append(Diagnostic(mismatch, at: locations["objective"]))
        }
        checkRange(parameters, "steps", 1...1e9, locations: locations, into: &problems)
        checkRange(parameters, "batch_size", 1...1e6, locations: locations, into: &problems)
        checkRange(parameters, "accumulation", 1...1e6, locations: locations, into: &problems)
        checkRange(parameters, "lr", 0...10, locations: locations, into: &problems)
        checkRange(parameters, "weight_decay", 0...10, locations: locations, into: &problems)
        checkRange(parameters, "eps", 0...1, locations: locations, into: &problems)
        checkRange(parameters, "warmup_steps", 0...1e9, locations: locations, into: &problems)
        checkRange(parameters, "grad_clip", 0...1e9, locations: locations, into: &problems)
        checkRange(parameters, "eval_interval", 0...1e9, locations: locations, into: &problems)
        checkRange(parameters, "eval_batches", 1...1e9, locations: locations, into: &problems)
        checkRange(parameters, "checkpoint_interval", 0...1e9, locations: locations, into: &problems)
        checkRange(parameters, "seed", 0...9e15, locations: locations, into: &problems)
        let betas = parameters["betas"]?.arrayValue?.compactMap(\.doubleValue) ?? [0.9, 0.98]
        if betas.count != 2 || !betas.allSatisfy({ $0 >= 0 && $0 < 1 }) {
            problems.append(Diagnostic("'betas' must be two numbers in [0, 1)", at: locations["betas"]))
        }
        if p.isSet("same_params_as") {
            if p.string("architecture", "") != "decoder" {
                problems.append(Diagnostic("'same_params_as' sizes a decoder-only baseline: it needs architecture: decoder", at: locations["same_params_as"]))
            }
            if !(parameters["config"]?.objectValue?.isEmpty ?? true) {
                problems.append(Diagnostic("give 'config' or 'same_params_as', not both", at: locations["config"]))
            }
        }
        if p.isSet("init") && p.isSet("same_params_as") {
            problems.append(Diagnostic("'init' fine-tunes an existing model: drop 'same_params_as'", at: locations["init"]))
        }
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        try Parallel.asConcurrentJob { try train(invocation) }
    }

    private func train(_ invocation: StageInvocation) throws -> StageOutcome {
        let stage = "stage '\(invocation.stage)' (key \(invocation.key.hex.prefix(12)))"
        let p = StageParameters(values: invocation.parameters)
        guard let architecture = TrainArchitecture(rawValue: p.string("architecture", "")) else {
            throw StageFailure("\(stage): unknown architecture '\(p.string("architecture", ""))'")
        }
        guard let modelFolder = invocation.outputs["model"], let shardFolder = invocation.inputs["data"]?.first else {
            throw StageFailure("\(stage): missing the data input or the model output")
        }
        guard let objective = TrainObjective.of(p, architecture: architecture) else {
            throw StageFailure("\(stage): unknown objective '\(p.string("objective", ""))'")
        }
        if let mismatch = objective.mismatch(architecture) { throw StageFailure("\(stage): \(mismatch)") }
        let shards = try TokenShards(folder: shardFolder, stage: stage)
        guard shards.layout == objective.layout else {
            let hint = architecture == .mu && shards.layout == .decoderOnly
                ? " (or set objective: prefix-lm to train the Mu on them as a prefix LM)" : ""
            throw StageFailure("\(stage): 'data' holds \(shards.layout.rawValue) shards, but \(architecture.rawValue) with objective \(objective.rawValue) trains on \(objective.layout.rawValue) shards (set layout: \(objective.layout.rawValue) on the tokenize stage)\(hint)")
        }
        // The records a batch draws from: all of them, except that a prefix-LM cut needs an id
        // on each side.
        func usableRows(_ split: TokenShards.Split) -> [Int] {
            objective == .prefixLM ? split.sequences.indices.filter { split.sequences[$0].count >= 2 } : Array(0..<split.count)
        }
        let trainRows = usableRows(shards.train), validationRows = shards.validation.map(usableRows) ?? []
        guard !trainRows.isEmpty else {
            throw StageFailure("\(stage): no training record of \(shardFolder) has the two ids a prefix-LM cut needs")
        }
        let log = StageLog(path: invocation.logPath)
        let settings = TrainSettings(p)
        let checkpoints = ResumableTrainer.checkpoints(invocation)
        let (trainer, resumedCurve) = try ResumableTrainer.resumeOrStart(invocation, stage: stage, log: log, options: settings.options) {
            let model = try TrainModelBuilder.build(
                architecture, config: invocation.parameters["config"]?.objectValue ?? [:],
                sameParamsAs: invocation.inputs["same_params_as"]?.first, initFrom: invocation.inputs["init"]?.first,
                shards: shards, seed: settings.seed, stage: stage)
            return (model, "training \(model.modelType) with \(TrainModelBuilder.parameterCount(model)) parameters from step 0")
        }
        var curve = resumedCurve
        let model = trainer.model
        let parameterCount = TrainModelBuilder.parameterCount(model)
        let start = shards.bosID ?? shards.padID

        /// `fraction`: where a prefix-LM batch cuts its rows, as a share of each row's length.
        func batch(_ split: TokenShards.Split, rows: [Int], fraction: Double) -> TokenBatch {
            switch objective {
            case .seq2seq: TokenBatch.encoderDecoder(split, rows: rows, pad: shards.padID, start: start)
            case .causalLM: TokenBatch.decoderOnly(split, rows: rows, pad: shards.padID, ignore: TrainModelBuilder.ignoreIndex)
            case .prefixLM: TokenBatch.prefixLM(split, rows: rows, fraction: fraction, pad: shards.padID, start: start)
            }
        }
        func validationLoss() throws -> Double? {
            guard let validation = shards.validation, !validationRows.isEmpty else { return nil }
            var total = 0.0, batches = 0
            for first in stride(from: 0, to: min(validationRows.count, settings.batchSize * settings.evalBatches), by: settings.batchSize) {
                let rows = Array(validationRows[first..<min(first + settings.batchSize, validationRows.count)])
                let fp = ForwardPass(tape: Tape(training: false), trainable: false)
                let loss: Variable
                do { loss = try TrainModelBuilder.loss(model, batch(validation, rows: rows, fraction: TokenBatch.spreadFraction(batches)), fp) } catch {
                    throw StageFailure("\(stage): validation records \(rows.first ?? first)...\(rows.last ?? first): \(error)")
                }
                total += Double(fp.tape.value(loss)[0])
                batches += 1
            }
            return batches > 0 ? total / Double(batches) : nil
        }

        let clock = Date()
        var tokensSeen = 0, lastLoss = curve.train.last?.loss ?? .nan
        let firstStep = trainer.step
        while trainer.step < settings.steps {
            let report: StepReport
            do {
                report = try trainer.trainStep { fp, rng in
                    let rows = (0..<settings.batchSize).map { _ in trainRows[Int(rng.next() % UInt64(trainRows.count))] }
                    // Only a prefix-LM batch draws its cut, so the other objectives' draws stay as they were.
                    let b = batch(shards.train, rows: rows, fraction: objective == .prefixLM ? rng.nextUnitDouble() : 0)
                    tokensSeen += b.tokens
                    return try TrainModelBuilder.loss(model, b, fp)
                }
            } catch {
                throw StageFailure("\(stage): step \(trainer.step + 1): \(error)")
            }
            lastLoss = report.loss
            curve.train.append(.init(step: report.step, loss: report.loss))
            let elapsed = Date().timeIntervalSince(clock)
            let rate = elapsed > 0 ? Double(tokensSeen) / elapsed : 0
            let eta = Double(settings.steps - report.step) * elapsed / Double(max(1, report.step - firstStep))
            var line = String(format: "step %d/%d loss %.4f lr %.2e tok/s %.0f ETA %.0fs", report.step, settings.steps, report.loss,
                              report.learningRate, rate, eta)
            if settings.evalInterval > 0 && report.step % settings.evalInterval == 0 && report.step < settings.steps,
               let v = try validationLoss() {
                curve.validation.append(.init(step: report.step, loss: v))
                line += String(format: " val %.4f", v)
            }
            invocation.progress(line)
            log.write(line)
            try ResumableTrainer.checkpointIfDue(trainer, curve: curve, step: report.step, interval: settings.checkpointInterval,
                                                 steps: settings.steps, in: checkpoints, log: log, stage: stage)
        }
        let validation = try validationLoss()
        if let validation { curve.validation.append(.init(step: trainer.step, loss: validation)) }
        let elapsed = Date().timeIntervalSince(clock)

        do {
            try ModelFolder.save(model, to: modelFolder)
            let tokenizer = (shardFolder as NSString).deletingLastPathComponent + "/tokenizer/tokenizer.json"
            try FileManager.default.copyItem(atPath: tokenizer, toPath: modelFolder + "/" + ModelFolder.tokenizerFile)
            try curve.save(modelFolder + "/" + LossCurve.fileName)
        } catch {
            throw StageFailure("\(stage): writing the model folder \(modelFolder): \(error)")
        }
        var metrics: [String: JSONValue] = [
            "final_train_loss": lastLoss.isFinite ? .double(lastLoss) : .null, "parameter_count": .int(Int64(parameterCount)),
            "objective": .string(objective.rawValue),
            "steps": .int(Int64(trainer.step)), "tokens_per_second": .double(elapsed > 0 ? Double(tokensSeen) / elapsed : 0),
            "loss_curve": .array(curve.train.map { .array([.int(Int64($0.step)), $0.loss.isFinite ? .double($0.loss) : .null]) }),
            "validation_curve": .array(curve.validation.map { .array([.int(Int64($0.step)), $0.loss.isFinite ? .double($0.loss) : .null]) }),
        ]
        metrics["validation_loss"] = validation.flatMap { $0.isFinite ? .double($0) : nil } ?? .null
        if p.values["register"]?.boolValue ?? true {
            let reference = try TrainZooRegistration.register(
                modelFolder: modelFolder, invocation: invocation, shards: shards, metrics: metrics, seed: settings.seed, stage: stage)
            metrics["zoo_model"] = .string(reference)
            log.write("registered in the zoo as \(reference)")
        }
        return StageOutcome(metrics: metrics)
    }
}

/// The optimizer and loop settings read from the stage's parameters.
struct TrainSettings {
    let steps, batchSize, evalInterval, evalBatches, checkpointInterval: Int
    let seed: UInt64
    let options: TrainingOptions

    init(_ p: StageParameters) {
        steps = p.int("steps", 100)
        batchSize = p.int("batch_size", 8)
        evalInterval = p.int("eval_interval", 0)
        evalBatches = p.int("eval_batches", 8)
        checkpointInterval = p.int("checkpoint_interval", 50)
        seed = UInt64(max(0, p.int("seed", 1337)))
        let betas = p.values["betas"]?.arrayValue?.compactMap(\.doubleValue) ?? [0.9, 0.98]
        let clip = p.double("grad_clip", 1)
        options = TrainingOptions(
            learningRate: p.double("lr", 1e-3),
            schedule: p.string("schedule", "cosine") == "cosine" ? .warmupCosine(warmup: p.int("warmup_steps", 0), total: steps) : .constant,
            adam: .init(beta1: betas.first ?? 0.9, beta2: betas.count > 1 ? betas[1] : 0.98, eps: p.double("eps", 1e-8),
                        weightDecay: p.double("weight_decay", 0.01)),
            maxGradNorm: clip > 0 ? clip : nil, accumulation: p.int("accumulation", 1), seed: seed)
    }
}

/// Per-step training losses and the validation losses, kept with every checkpoint so a
/// resumed run reports the whole curve.
struct LossCurve: Codable {
    struct Point: Codable { var step: Int; var loss: Double }
    static let fileName = "loss_curve.json"
    var train: [Point] = []
    var validation: [Point] = []

    /// Beside the checkpoint folder of `step` (written before it, so it is there when the folder is).
    static func checkpointPath(_ root: String, step: Int) -> String { root + String(format: "/step-%08d.", step) + fileName }

    static func load(_ path: String) throws -> LossCurve {
        guard FileManager.default.fileExists(atPath: path) else { return LossCurve() }
        return try JSONFiles.decode(LossCurve.self, from: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
    }

    func save(_ path: String) throws { try AtomicFile.write(try JSONFiles.encode(self), to: path) }
}

/// Appends lines to the stage's log.
struct StageLog {
    let path: String

    func write(_ line: String) {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((line + "\n").utf8))
    }
}
