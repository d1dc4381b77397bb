import Foundation
import SLMCore
import SLMModels
import SLMPipeline

extension TrainStageKind {
    /// Parameters of the model the stage would build (`config`, `same_params_as` or `init`,
    /// with the tokenize stage's vocabulary), FLOPs of its steps (3 × the forward pass of each
    /// micro-batch at the shards' lengths) and validation passes, peak memory (weights,
    /// gradients, AdamW moments, one micro-batch's activations) and the time on this machine.
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        guard let architecture = TrainArchitecture(rawValue: p.string("architecture", "")) else { return nil }
        guard let data = ShardShape(context.upstreamStage("data")) else {
            return StageEstimate(notes: ["no estimate: 'data' gives no vocabulary or lengths"])
        }
        var notes = data.note.map { [$0] } ?? []
        let shape: ModelShape
        if let initStage = context.upstreamStage("init") {
            guard let given = context.modelShape(initStage) else {
                return StageEstimate(notes: ["no estimate: the 'init' model of '\(initStage.name)' is unknown until it runs"])
            }
            shape = given
        } else {
            var reference: MuConfig?
            if let sized = context.upstreamStage("same_params_as") {
                guard case .mu(let mu)? = context.modelShape(sized) else {
                    return StageEstimate(notes: ["no estimate: the Mu of 'same_params_as' ('\(sized.name)') is unknown"])
                }
                reference = mu
            }
            let special: [String: JSONValue] = ["vocab_size": .int(Int64(data.vocabSize)), "pad_token_id": 0,
                                                "bos_token_id": .int(Int64(min(1, data.vocabSize - 1))), "eos_token_id": .int(Int64(min(2, data.vocabSize - 1)))]
            guard let built = try? TrainModelBuilder.shape(architecture, config: context.parameters["config"]?.objectValue ?? [:],
                                                           sameParamsAs: reference, special: special, stage: context.stage) else {
                return StageEstimate(notes: ["no estimate: 'config' does not describe a \(architecture.rawValue) model"])
            }
            shape = built
        }
        let settings = TrainSettings(p)
        let batch = settings.batchSize, microBatches = Double(settings.steps * p.int("accumulation", 1))
        var (source, target) = data.lengths(batch: batch)
        if TrainObjective.of(p, architecture: architecture) == .prefixLM {
            // One cut per batch, at half of each row on average: the longest row's ids split
            // between the encoder and the decoder (its input, the start id and the target
            // less its last id, is as long as the target).
            let whole = source + target
            (source, target) = (max(1, whole / 2), max(1, whole - whole / 2))
        }
        let forward = shape.forwardFlops(batch: batch, source: source, target: target)
        let evaluations = settings.evalInterval > 0 ? (settings.steps - 1) / settings.evalInterval + 1 : 1
        let flops = 3 * forward * microBatches + Double(evaluations * settings.evalBatches) * forward
        let activations = shape.activationFloats(batch: batch, source: source, target: target)
        let memory = CostModel.trainingBytesPerParameter * Double(shape.parameterCount) + CostModel.bytesPerFloat * activations
        notes.append(String(format: "batches of %d × (%d + %d) ids, %.3g per step", batch, source, target,
                            Double(batch * p.int("accumulation", 1) * (source + target))))
        return StageEstimate(
            parameterCount: shape.parameterCount, flops: flops, peakMemoryBytes: memory,
            seconds: CostModel.seconds(flops: flops, on: context.machine), notes: notes,
            facts: [EstimateFact.modelConfig: shape.config])
    }
}

extension DistillStageKind {
    /// Per micro-batch: the student samples D ids (a forward pass at D target positions, and
    /// D token steps that each read the student's decoder weights), the teacher scores source
    /// ++ sample (forward only), and the student trains on both (3 × a forward pass at D and
    /// at the ground truth's length); plus the final validation passes. The teacher's size comes
    /// from its stage's estimate or its model folder's config.json; a teacher not known yet
    /// (pulled when the pipeline runs) is left out and said so.
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        guard let data = ShardShape(context.upstreamStage("data")) else {
            return StageEstimate(notes: ["no estimate: 'data' gives no vocabulary or lengths"])
        }
        guard let studentStage = context.upstreamStage("student"), let student = context.modelShape(studentStage) else {
            return StageEstimate(notes: ["no estimate: the student model is unknown"])
        }
        var notes = data.note.map { [$0] } ?? []
        let teacherStage = context.upstreamStage("teacher")
        let teacher = teacherStage.flatMap(context.modelShape)
        if teacher == nil {
            notes.append("teacher '\(teacherStage?.name ?? "?")' unknown until it runs (its config.json): its forward passes and memory are not counted")
        }
        let settings = TrainSettings(p)
        let batch = settings.batchSize, microBatches = Double(settings.steps * p.int("accumulation", 1))
        let sampled = p.int("max_new_tokens", 0) > 0 ? p.int("max_new_tokens", 0) : data.maxTargetLength
        let (source, target) = data.lengths(batch: batch)
        let sampling = student.forwardFlops(batch: batch, source: source, target: sampled)
        let groundTruth = student.forwardFlops(batch: batch, source: source, target: target)
        let scoring = teacher?.forwardFlops(batch: batch, source: source, target: sampled) ?? 0
        let perMicroBatch = sampling + 3 * sampling + 3 * groundTruth + scoring
        let flops = perMicroBatch * microBatches + Double(settings.evalBatches) * groundTruth
        let reads = microBatches * Double(sampled) * Double(student.decodingStepParameters) * CostModel.bytesPerFloat

        var floats = student.activationFloats(batch: batch, source: source, target: sampled)
            + student.activationFloats(batch: batch, source: source, target: target)
        if let teacher {
            // Forward only, but the teacher's logits over source ++ sample and their softmax stay for the KL.
            floats += teacher.inferenceFloats(batch: batch, source: source, target: sampled) + 2 * Double(batch * (source + sampled) * teacher.vocabSize)
        }
        let memory = CostModel.trainingBytesPerParameter * Double(student.parameterCount)
            + CostModel.bytesPerFloat * (Double(teacher?.parameterCount ?? 0) + floats)
        notes.append("D = \(sampled) sampled ids per source")
        if let teacher { notes.append("teacher '\(teacherStage?.name ?? "")': \(teacher.parameterCount) parameters") }
        return StageEstimate(
            parameterCount: student.parameterCount, flops: flops, peakMemoryBytes: memory,
            seconds: CostModel.seconds(flops: flops, readBytes: reads, on: context.machine), notes: notes,
            facts: [EstimateFact.modelConfig: student.config])
    }
}
