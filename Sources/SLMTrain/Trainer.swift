import Foundation
import SLMCore
import SLMFormats
import SLMModels
import SLMTensor

/// Settings of a training run.
public struct TrainingOptions: Codable, Sendable, Hashable {
    public var learningRate: Double = 1e-4
    public var schedule: LRSchedule = .constant
    public var adam = AdamW.Hyperparameters()
    /// Global-norm clipping threshold (nil = no clipping).
    public var maxGradNorm: Double? = 1.0
    /// Micro-batches per optimizer step; each micro-batch loss is divided by this.
    public var accumulation = 1
    /// Seeds the data and dropout stream.
    public var seed: UInt64 = 1337

    public init(learningRate: Double = 1e-4, schedule: LRSchedule = .constant, adam: AdamW.Hyperparameters = .init(),
                maxGradNorm: Double? = 1.0, accumulation: Int = 1, seed: UInt64 = 1337) {
        self.learningRate = learningRate
        self.schedule = schedule
        self.adam = adam
        self.maxGradNorm = maxGradNorm
        self.accumulation = accumulation
        self.seed = seed
    }
}

public struct StepReport: Sendable {
    /// Optimizer steps done after this one.
    public var step: Int
    /// Mean of the micro-batch losses.
    public var loss: Double
    /// Global gradient norm before clipping.
    public var gradNorm: Double
    public var learningRate: Double
}

/// A training loop over any model: micro-batch losses recorded on fresh tapes, gradient
/// accumulation, clipping, the schedule and AdamW, with a seeded stream for data and dropout.
///
/// Determinism: everything random comes from `rng` (data, via the closure's `inout` argument)
/// or from per-micro-batch tape streams derived from (seed, micro-batch index), and every state
/// that evolves is in the checkpoint, so a run resumed from step k equals the uninterrupted run
/// bit for bit (same machine, same BLAS threads).
public final class Trainer {
    public let model: AnyModel
    public let options: TrainingOptions
    public let optimizer: AdamW
    /// Data stream (passed to the loss closure) — saved in checkpoints.
    public var rng: SeededRNG
    public var step: Int { optimizer.stepCount }

    public init(model: AnyModel, options: TrainingOptions) {
        precondition(options.accumulation >= 1, "accumulation must be ≥ 1")
        self.model = model
        self.options = options
        optimizer = AdamW(parameters: model.container.parameters, hyperparameters: options.adam)
        rng = SeededRNG(seed: options.seed)
    }

    /// The rate the next update uses.
    public var currentLearningRate: Double { options.learningRate * options.schedule.multiplier(step: step) }

    /// One optimizer step. `microLoss` records one micro-batch's loss on the pass it is given,
    /// drawing its data from the generator it is given.
    @discardableResult
    public func trainStep(_ microLoss: (ForwardPass, inout SeededRNG) throws -> Variable) throws -> StepReport {
        let parameters = optimizer.parameters
        for p in parameters { p.zeroGrad() }
        let a = options.accumulation
        var total = 0.0
        for micro in 0..<a {
            let stream = UInt64(step) &* UInt64(a) &+ UInt64(micro)
            let tape = Tape(training: true, rng: SeededRNG(seed: options.seed).derived(stream: stream &+ 1))
            let fp = ForwardPass(tape: tape, trainable: true)
            let loss = try microLoss(fp, &rng)
            total += Double(tape.value(loss)[0])
            tape.backward(from: a == 1 ? loss : tape.scale(loss, by: 1 / Float(a)))
        }
        let norm = options.maxGradNorm.map { clipGradientNorm(parameters, maxNorm: $0) } ?? clipGradientNorm(parameters, maxNorm: .infinity)
        let lr = currentLearningRate
        optimizer.step(lr: lr)
        return StepReport(step: step, loss: total / Double(a), gradNorm: norm, learningRate: lr)
    }

    // MARK: Checkpoints

    /// Trainer state beside the weights and moments.
    struct State: Codable {
        var step: Int
        var rng: SeededRNG
        var options: TrainingOptions
        var format = 1
    }

    public static let optimizerFile = "optimizer.safetensors"
    public static let stateFile = "trainer_state.json"
    public static let latestFile = "latest"

    /// Writes `root/step-NNNNNNNN/` (the model folder plus optimizer moments and trainer state)
    /// and then points `root/latest` at it. The folder is assembled under a temporary name and
    /// renamed into place, and `latest` is replaced atomically, so a crash leaves the previous
    /// checkpoint intact. Returns the checkpoint folder.
    @discardableResult
    public func saveCheckpoint(in root: String) throws -> String {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let name = String(format: "step-%08d", step)
        let final = root + "/" + name
        let temporary = AtomicFile.temporaryPath(besides: final)
        try ModelFolder.save(model, to: temporary)
        var moments: [String: Tensor] = [:]
        for (i, p) in optimizer.parameters.enumerated() {
            moments["m." + p.name] = optimizer.m[i]
            moments["v." + p.name] = optimizer.v[i]
        }
        try SafetensorsWriter.write(moments, to: temporary + "/" + Self.optimizerFile)
        let state = State(step: step, rng: rng, options: options)
        try AtomicFile.write(try JSONFiles.encode(state), to: temporary + "/" + Self.stateFile)
        if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
        try AtomicFile.commit(temporary, to: final)
        try AtomicFile.write(name + "\n", to: root + "/" + Self.latestFile)
        return final
    }

    /// The folder `root/latest` points at, if any.
    public static func latestCheckpoint(in root: String) -> String? {
        guard let text = try? String(contentsOfFile: root + "/" + latestFile, encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return root + "/" + name
    }

    /// Rebuilds a trainer (model, moments, step, RNG, options) from a checkpoint folder.
    public static func resume(from folder: String) throws -> Trainer {
        let model = try ModelFolder.load(folder)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + stateFile))
        let state = try JSONFiles.decode(State.self, from: data, path: folder + "/" + stateFile)
        let trainer = Trainer(model: model, options: state.options)
        let moments = try SafetensorsFile(path: folder + "/" + optimizerFile)
        for (i, p) in trainer.optimizer.parameters.enumerated() {
            for (prefix, target) in [("m.", trainer.optimizer.m[i]), ("v.", trainer.optimizer.v[i])] {
                let t = try moments.tensor(prefix + p.name)
                guard t.shape == p.shape else {
                    throw ModelLoadError(folder, "optimizer moment '\(prefix + p.name)' has shape \(t.shape), the parameter \(p.shape)")
                }
                target.data.update(from: t.data, count: t.count)
            }
        }
        trainer.optimizer.stepCount = state.step
        trainer.rng = state.rng
        return trainer
    }
}
