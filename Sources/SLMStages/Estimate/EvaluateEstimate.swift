import Foundation
import SLMCore
import SLMPipeline

extension EvaluateStageKind {
    /// Every model decodes every example: a forward pass over the prompts and up to
    /// `max_new_tokens` generated ids (the KV-cached decode does the same products), plus one
    /// read of the model's decoding weights per token step of each batch. Parameters are the
    /// models' sum; memory the largest model's weights, KV caches and one batch's activations.
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        let split = p.string("split", "test")
        var notes: [String] = []
        let limit = p.isSet("limit") ? p.int("limit", 0) : nil
        guard let examples = [limit, context.records("data", split: split)].compactMap({ $0 }).min() else {
            return StageEstimate(notes: ["no estimate: the size of the '\(split)' split is unknown until the data stage runs (set 'limit')"])
        }
        let source: Int
        if p.isSet("source_length") {
            source = p.int("source_length", 0)
        } else {
            source = 512
            notes.append("prompts assumed 512 ids (set 'source_length')")
        }
        let batch = p.int("batch_size", 16), generated = p.int("max_new_tokens", 32)
        let batches = Double((examples + batch - 1) / batch)
        var parameters = 0, flops = 0.0, reads = 0.0, memory = 0.0
        for stage in context.upstream["models"] ?? [] {
            guard let model = context.modelShape(stage) else {
                notes.append("model '\(stage.name)' unknown until it runs: not counted")
                continue
            }
            parameters += model.parameterCount
            flops += model.forwardFlops(batch: examples, source: source, target: generated)
            reads += batches * Double(generated) * Double(model.decodingStepParameters) * CostModel.bytesPerFloat
            memory = max(memory, CostModel.bytesPerFloat * (Double(model.parameterCount)
                + model.inferenceFloats(batch: min(batch, examples), source: source, target: generated)))
        }
        guard parameters > 0 else { return StageEstimate(notes: notes) }
        notes.append("\(examples) examples × up to \(generated) new ids")
        return StageEstimate(parameterCount: parameters, flops: flops, peakMemoryBytes: memory,
                             seconds: CostModel.seconds(flops: flops, readBytes: reads, on: context.machine), notes: notes)
    }
}
