import Foundation
import SLMCore
import SLMPipeline

/// Keys of the facts the kinds' estimates pass downstream (`StageEstimate.facts`).
enum EstimateFact {
    /// A model's config.json fields with `model_type` (train, distill).
    static let modelConfig = "model_config"
    /// Token shards (tokenize): vocabulary size, the ids per record a batch holds, the target limit, where the lengths come from.
    static let vocabSize = "vocab_size"
    static let sourceLength = "source_length"
    static let targetLength = "target_length"
    static let maxTargetLength = "max_target_length"
    static let lengthsNote = "lengths_note"
    /// Percentiles 0…100 of the training records' lengths (sources and targets, or whole decoder-only sequences).
    static let sourceQuantiles = "source_length_percentiles"
    static let targetQuantiles = "target_length_percentiles"
    static let sequenceQuantiles = "sequence_length_percentiles"
    /// Records per split (`{"train": n, …}`) of a data folder (synth-qa, fetch-dataset).
    static let records = "records"
}

/// How estimated FLOPs and bytes become seconds on this machine.
enum CostModel {
    /// Share of cblas_sgemm's rate that training steps and batched prefill reach: 59–67%
    /// measured (docs/performance.md, Engine).
    static let efficiency = 0.6
    static let bytesPerFloat = 4.0
    /// fp32 weights, their gradients and AdamW's two moments.
    static let trainingBytesPerParameter = 16.0

    /// Seconds for `flops` of matrix products plus `readBytes` of weight reads (decoding one
    /// token at a time reads every weight it uses once per step); nil without machine rates.
    static func seconds(flops: Double, readBytes: Double = 0, on machine: MachineRate?) -> Double? {
        guard let machine, machine.sgemmGflops > 0, machine.memoryGBps > 0 else { return nil }
        return flops / (machine.sgemmGflops * 1e9 * efficiency) + readBytes / (machine.memoryGBps * 1e9)
    }
}

/// The sequence shape of a tokenize stage's shards, from its estimate's facts.
struct ShardShape {
    let vocabSize: Int
    let maxTargetLength: Int
    let note: String?
    private let sourceLength: Int
    private let targetLength: Int
    private let facts: [String: JSONValue]

    init?(_ upstream: UpstreamStage?) {
        guard let facts = upstream?.estimate?.facts, let vocab = facts[EstimateFact.vocabSize]?.intValue,
              let source = facts[EstimateFact.sourceLength]?.intValue, let target = facts[EstimateFact.targetLength]?.intValue else { return nil }
        vocabSize = Int(vocab)
        sourceLength = Int(source)
        targetLength = Int(target)
        maxTargetLength = facts[EstimateFact.maxTargetLength]?.intValue.map(Int.init) ?? Int(target)
        note = facts[EstimateFact.lengthsNote]?.stringValue.map { "'\(upstream?.name ?? "")': \($0)" }
        self.facts = facts
    }

    /// Source and target ids of a batch of `batch` records: rows are padded to the batch's
    /// longest, so the expected longest when the shards' length percentiles are known, else
    /// the means or limits the facts give. Decoder-only rows: the whole sequence less the mean target.
    func lengths(batch: Int) -> (source: Int, target: Int) {
        func percentiles(_ key: String) -> [Int]? { facts[key]?.arrayValue?.compactMap { $0.intValue.map(Int.init) } }
        if let sequence = percentiles(EstimateFact.sequenceQuantiles) {
            return (max(1, LengthQuantiles.expectedLongest(sequence, batch: batch) - targetLength), targetLength)
        }
        if let sources = percentiles(EstimateFact.sourceQuantiles), let targets = percentiles(EstimateFact.targetQuantiles) {
            return (LengthQuantiles.expectedLongest(sources, batch: batch), LengthQuantiles.expectedLongest(targets, batch: batch))
        }
        return (sourceLength, targetLength)
    }
}

extension EstimateContext {
    /// The first stage `parameter` names.
    func upstreamStage(_ parameter: String) -> UpstreamStage? { upstream[parameter]?.first }

    /// The model of the stage `parameter` names: its estimate's config, else the config.json
    /// of its output folder when that exists already.
    func modelShape(_ stage: UpstreamStage) -> ModelShape? {
        if case .object(let config)? = stage.estimate?.facts[EstimateFact.modelConfig], let shape = ModelShape(config: config) {
            return shape
        }
        return ModelShape(folder: stage.path)
    }

    func modelShape(_ parameter: String) -> ModelShape? { upstreamStage(parameter).flatMap(modelShape) }

    /// Records of `split` in the data folder of the stage `parameter` names: its facts, else
    /// the lines of `<split>.jsonl` when the folder exists.
    func records(_ parameter: String, split: String) -> Int? {
        guard let stage = upstreamStage(parameter) else { return nil }
        if let count = stage.estimate?.facts[EstimateFact.records]?.objectValue?[split]?.intValue { return Int(count) }
        guard let data = FileManager.default.contents(atPath: stage.path + "/\(split).jsonl") else { return nil }
        return data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
}
