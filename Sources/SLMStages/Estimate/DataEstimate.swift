import Foundation
import SLMCore
import SLMPipeline
import SLMText

/// Records per split as `DatasetSplit` cuts `count` records.
func splitRecordFacts(_ count: Int, _ p: StageParameters) -> JSONValue {
    let validation = Int((Double(count) * p.double("validation_fraction", 0.1)).rounded())
    let test = Int((Double(count) * p.double("test_fraction", 0.1)).rounded())
    return ["train": .int(Int64(count - validation - test)), "validation": .int(Int64(validation)), "test": .int(Int64(test))]
}

extension SynthQAStageKind {
    /// Facts only: the records of each split (nothing worth printing: it takes seconds).
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        return StageEstimate(facts: [EstimateFact.records: splitRecordFacts(p.int("records", 2000), p)])
    }
}

extension FetchDatasetStageKind {
    /// Facts only, when known before the download: the records of each split under `limit`.
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        guard p.isSet("limit") else { return nil }
        return StageEstimate(facts: [EstimateFact.records: splitRecordFacts(p.int("limit", 0), p)])
    }
}

extension TokenizeStageKind {
    /// Facts only, for the model stages downstream: the vocabulary size (the shards' manifest,
    /// the given tokenizer's file or its stage's facts, the trained size, or — for a tokenizer
    /// file that does not exist yet — `vocab_size`, said so) and the ids per record (the
    /// manifest's training means when the shards exist, else the length limits).
    public func estimate(_ context: EstimateContext) -> StageEstimate? {
        let p = StageParameters(values: context.parameters)
        let maxSource = p.int("max_source_length", 512), maxTarget = p.int("max_target_length", 128)
        var facts: [String: JSONValue] = [EstimateFact.maxTargetLength: .int(Int64(maxTarget))]
        var vocab: Int?
        var lengths = (source: maxSource, target: maxTarget)
        var lengthsNote = "lengths at the tokenize limits \(maxSource) + \(maxTarget) (an upper bound)"

        if let shards = context.outputs["shards"], let manifest = Self.manifest(shards) {
            vocab = manifest["vocab_size"]?.intValue.map(Int.init)
            if let train = manifest["splits"]?.objectValue?["train"]?.objectValue, let records = train["records"]?.intValue, records > 0 {
                let target = Double(train["target_tokens"]?.intValue ?? 0) / Double(records)
                let total = Double(train["tokens"]?.intValue ?? ((train["source_tokens"]?.intValue ?? 0) + (train["target_tokens"]?.intValue ?? 0)))
                let source = total / Double(records) - target
                lengths = (max(1, Int(source.rounded(.up))), max(1, Int(target.rounded(.up))))
                lengthsNote = "mean lengths of the shards \(lengths.source) + \(lengths.target) (padding to each batch's longest row adds more)"
            }
        }
        if vocab == nil {
            if let given = context.upstreamStage("tokenizer") ?? context.upstreamStage("tokenizer_file"),
               let known = given.estimate?.facts[EstimateFact.vocabSize]?.intValue {
                vocab = Int(known)
            } else if let path = (context.inputs["tokenizer"] ?? context.inputs["tokenizer_file"])?.first {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                let file = isDirectory.boolValue ? path + "/tokenizer.json" : path
                if exists, let tokenizer = try? Tokenizer.load(contentsOf: file) {
                    vocab = tokenizer.vocabularySize
                } else {
                    vocab = p.int("vocab_size", 4096)
                    lengthsNote += "; vocabulary assumed \(vocab ?? 0) ('vocab_size') until \(file) exists"
                }
            } else {
                vocab = p.int("vocab_size", 4096)
            }
        }
        facts[EstimateFact.vocabSize] = .int(Int64(vocab ?? 0))
        facts[EstimateFact.sourceLength] = .int(Int64(lengths.source))
        facts[EstimateFact.targetLength] = .int(Int64(lengths.target))
        facts[EstimateFact.lengthsNote] = .string(lengthsNote)
        return StageEstimate(facts: facts)
    }

    private static func manifest(_ shards: String) -> [String: JSONValue]? {
        guard let data = FileManager.default.contents(atPath: shards + "/manifest.json") else { return nil }
        return (try? JSONDecoder().decode(JSONValue.self, from: data))?.objectValue
    }
}
