import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMTensor
import SLMTrain

/// `kind: distill`: the seed's on-policy knowledge distillation (seed-spec §5) of a Mu student
/// (a train stage's model, the init) from a frozen decoder-only teacher (a llama or decoder
/// train stage's model). Each step the student samples targets from the sources (temperature,
/// top-k), the teacher scores source ++ sample, and the loss is α·KL(teacher ‖ student) on the
/// aligned positions + (1 − α)·cross-entropy on the ground truth (`DistillLoss`). The optimizer,
/// schedule, checkpoints with resume, model folder and zoo registration are the train kind's;
/// the zoo lineage records `init` (the student), `teacher` and `data` (docs/pipelines.md).
public struct DistillStageKind: StageKind {
    public init() {}

    public let name = "distill"
    public let version = 1
    public let summary = "distil a Mu student from a decoder-only teacher with the seed's on-policy KD"
    public let fixedOutputs = ["model"]

    /// The loop and optimizer parameters, shared with `kind: train`.
    static let sharedNames: Set<String> = [
        "steps", "batch_size", "accumulation", "lr", "weight_decay", "betas", "eps", "schedule", "warmup_steps",
        "grad_clip", "eval_batches", "checkpoint_interval", "seed", "register",
    ]

    public var parameters: [ParameterSchema] {
        [
            ParameterSchema("student", .stageOutput, required: true, help: "a mu train stage: the student, trained from its weights"),
            ParameterSchema("teacher", .stageOutput, required: true, help: "a llama or decoder train stage: the frozen teacher"),
            ParameterSchema("data", .stageOutput, required: true, help: "a tokenize stage with encoder-decoder shards (sources, ground truth)"),
            ParameterSchema("alpha", .number, default: .double(0.9), help: "weight of the KL part; 1 − alpha weighs the ground-truth CE"),
            ParameterSchema("temperature", .number, default: .double(0.9), help: "the student's sampling temperature"),
            ParameterSchema("top_k", .integer, default: 128, help: "the student samples among its k most likely ids (0: all)"),
            ParameterSchema("max_new_tokens", .integer, default: 0, help: "sample length D (0: the longest training target)"),
        ] + TrainStageKind().parameters.filter { Self.sharedNames.contains($0.name) }
    }

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        checkRange(parameters, "alpha", 0...1, locations: locations, into: &problems)
        checkRange(parameters, "temperature", 0...100, locations: locations, into: &problems)
        checkRange(parameters, "top_k", 0...1e9, locations: locations, into: &problems)
        checkRange(parameters, "max_new_tokens", 0...1e6, locations: locations, into: &problems)
        // The shared parameters are checked as train checks them (train's own keys are absent here).
        let shared = parameters.filter { Self.sharedNames.contains($0.key) }
        problems += TrainStageKind().validate(shared.merging(["architecture": "mu", "data": "x"]) { a, _ in a }, locations: locations)
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        try Parallel.asConcurrentJob { try distill(invocation) }
    }

    private func distill(_ invocation: StageInvocation) throws -> StageOutcome {
        let stage = "stage '\(invocation.stage)' (key \(invocation.key.hex.prefix(12)))"
        let p = StageParameters(values: invocation.parameters)
        guard let modelFolder = invocation.outputs["model"], let shardFolder = invocation.inputs["data"]?.first,
              let studentFolder = invocation.inputs["student"]?.first, let teacherFolder = invocation.inputs["teacher"]?.first else {
            throw StageFailure("\(stage): missing the student, teacher or data input, or the model output")
        }
        let shards = try TokenShards(folder: shardFolder, stage: stage)
        guard shards.layout == .encoderDecoder else {
            throw StageFailure("\(stage): 'data' holds \(shards.layout.rawValue) shards; the Mu student needs encoder-decoder shards")
        }
        let teacher: AnyModel
        do { teacher = try ModelFolder.load(teacherFolder) } catch { throw StageFailure("\(stage): 'teacher' \(teacherFolder): \(error)") }
        if case .mu = teacher {
            throw StageFailure("\(stage): 'teacher' \(teacherFolder) holds a mu model; the teacher must be decoder-only (llama or decoder)")
        }
        let log = StageLog(path: invocation.logPath)
        let settings = TrainSettings(p)
        let checkpoints = ResumableTrainer.checkpoints(invocation)
        // Resume from the last checkpoint under this key, or start from the student's weights.
        let (trainer, resumedCurve) = try ResumableTrainer.resumeOrStart(invocation, stage: stage, log: log, options: settings.options) {
            let student = try TrainModelBuilder.build(.mu, config: [:], sameParamsAs: nil, initFrom: studentFolder, initName: "student", shards: shards,
                                                      seed: settings.seed, stage: stage)
            return (student, "distilling a mu student with \(TrainModelBuilder.parameterCount(student)) parameters from a "
                + "\(teacher.modelType) teacher with \(TrainModelBuilder.parameterCount(teacher)) from step 0")
        }
        var curve = resumedCurve
        guard case .mu(let student) = trainer.model else {
            throw StageFailure("\(stage): the student is a \(trainer.model.modelType) model; distill trains a mu student")
        }
        let vocabulary: Int
        do {
            vocabulary = try TokenizerCompatibility.sharedVocabulary(
                student: studentFolder, studentVocab: student.config.vocabSize, teacher: teacherFolder, teacherVocab: teacher.vocabSize)
        } catch {
            throw StageFailure("\(stage): \(error)")
        }
        let loss = DistillLoss(student: student, teacher: teacher, sharedVocabulary: vocabulary, alpha: Float(p.double("alpha", 0.9)))
        let maxNew = p.int("max_new_tokens", 0) > 0 ? p.int("max_new_tokens", 0) : max(1, shards.train.targets.map(\.count).max() ?? 1)
        let topK = p.int("top_k", 128)
        let sampling = GenerationOptions(maxNewTokens: maxNew, temperature: Float(p.double("temperature", 0.9)),
                                         topK: topK > 0 ? topK : nil, eosIDs: [Int32(student.config.eosTokenID)])
        let start = shards.bosID ?? shards.padID

        let clock = Date()
        var tokensSeen = 0, lastLoss = curve.train.last?.loss ?? .nan, lastKL = Double.nan, lastCE = Double.nan
        let firstStep = trainer.step
        while trainer.step < settings.steps {
            var kl = 0.0, ce = 0.0
            let report: StepReport
            do {
                report = try trainer.trainStep { fp, rng in
                    let rows = (0..<settings.batchSize).map { _ in Int(rng.next() % UInt64(shards.train.count)) }
                    let sources = rows.map { shards.train.sources[$0] }
                    var options = sampling
                    options.seed = rng.next()
                    let samples = try DistillSampler.sample(student, sources: sources, options: options, length: maxNew,
                                                            vocabulary: vocabulary, pad: shards.padID)
                    let truth = TokenBatch.encoderDecoder(shards.train, rows: rows, pad: shards.padID, start: start)
                    tokensSeen += truth.tokens + sources.count * maxNew
                    let parts = try loss(sources: sources, samples: samples, groundTruth: truth, fp)
                    kl += Double(fp.tape.value(parts.kl)[0]) / Double(settings.options.accumulation)
                    ce += Double(fp.tape.value(parts.ce)[0]) / Double(settings.options.accumulation)
                    return parts.total
                }
            } catch {
                throw StageFailure("\(stage): step \(trainer.step + 1): \(error)")
            }
            lastLoss = report.loss
            lastKL = kl
            lastCE = ce
            curve.train.append(.init(step: report.step, loss: report.loss))
            let elapsed = Date().timeIntervalSince(clock)
            let rate = elapsed > 0 ? Double(tokensSeen) / elapsed : 0
            let eta = Double(settings.steps - report.step) * elapsed / Double(max(1, report.step - firstStep))
            let line = String(format: "step %d/%d loss %.4f kl %.4f ce %.4f lr %.2e tok/s %.0f ETA %.0fs", report.step, settings.steps,
                              report.loss, kl, ce, report.learningRate, rate, eta)
            invocation.progress(line)
            log.write(line)
            try ResumableTrainer.checkpointIfDue(trainer, curve: curve, step: report.step, interval: settings.checkpointInterval,
                                                 steps: settings.steps, in: checkpoints, log: log, stage: stage)
        }
        let validation = try validationCE(student, shards: shards, settings: settings, start: start, stage: stage)
        if let validation { curve.validation.append(.init(step: trainer.step, loss: validation)) }
        let elapsed = Date().timeIntervalSince(clock)

        do {
            try ModelFolder.save(trainer.model, to: modelFolder)
            try FileManager.default.copyItem(atPath: studentFolder + "/" + ModelFolder.tokenizerFile,
                                             toPath: modelFolder + "/" + ModelFolder.tokenizerFile)
            try curve.save(modelFolder + "/" + LossCurve.fileName)
        } catch {
            throw StageFailure("\(stage): writing the model folder \(modelFolder): \(error)")
        }
        func number(_ x: Double) -> JSONValue { x.isFinite ? .double(x) : .null }
        var metrics: [String: JSONValue] = [
            "final_train_loss": number(lastLoss), "final_kl_loss": number(lastKL), "final_ce_loss": number(lastCE),
            "parameter_count": .int(Int64(TrainModelBuilder.parameterCount(trainer.model))), "steps": .int(Int64(trainer.step)),
            "shared_vocabulary": .int(Int64(vocabulary)),
            "tokens_per_second": .double(elapsed > 0 ? Double(tokensSeen) / elapsed : 0),
            "loss_curve": .array(curve.train.map { .array([.int(Int64($0.step)), number($0.loss)]) }),
            "validation_loss": validation.map(number) ?? .null,
        ]
        if p.values["register"]?.boolValue ?? true {
            let reference = try TrainZooRegistration.register(
                modelFolder: modelFolder, invocation: invocation, shards: shards, metrics: metrics, seed: settings.seed, stage: stage,
                initInput: "student", teacher: teacherFolder)
            metrics["zoo_model"] = .string(reference)
            log.write("registered in the zoo as \(reference)")
        }
        return StageOutcome(metrics: metrics)
    }

    /// The student's ground-truth cross-entropy on the validation split (nil without one).
    private func validationCE(_ student: MuModel, shards: TokenShards, settings: TrainSettings, start: Int32, stage: String) throws -> Double? {
        guard let validation = shards.validation, validation.count > 0 else { return nil }
        var total = 0.0, batches = 0
        for first in stride(from: 0, to: min(validation.count, settings.batchSize * settings.evalBatches), by: settings.batchSize) {
            let rows = Array(first..<min(first + settings.batchSize, validation.count))
            let b = TokenBatch.encoderDecoder(validation, rows: rows, pad: shards.padID, start: start)
            let fp = ForwardPass.inference()
            do {
                total += Double(fp.tape.value(try student.loss(source: b.source, decoderInput: b.input, labels: b.labels, batch: b.rows, fp))[0])
            } catch {
                throw StageFailure("\(stage): validation records \(first)..<\(first + rows.count): \(error)")
            }
            batches += 1
        }
        return batches > 0 ? total / Double(batches) : nil
    }
}

/// The student's on-policy targets ĝ (seed-spec §5.2): sampled from each source, ids outside
/// the shared vocabulary mapped to the pad id, right-padded with it to exactly `length`.
enum DistillSampler {
    static func sample(_ student: MuModel, sources: [[Int32]], options: GenerationOptions, length: Int, vocabulary: Int,
                       pad: Int32) throws -> [[Int32]] {
        let generated = try Generator(model: .mu(student)).generate(prompts: sources, options: options)
        return generated.map { ids in
            let kept = ids.prefix(length).map { Int($0) < vocabulary ? $0 : pad }
            return kept + Array(repeating: pad, count: length - kept.count)
        }
    }
}
