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
                lengthsNote = "mean lengths of the shards \(lengths.source) + \(lengths.target)"
                // A batch is as long as its longest row: downstream estimates take the expected
                // longest of their batch size from these percentiles of the training records.
                let decoderOnly = manifest["layout"]?.stringValue == "decoder-only"
                let streams = decoderOnly ? [("tokens", EstimateFact.sequenceQuantiles)]
                    : [("source", EstimateFact.sourceQuantiles), ("target", EstimateFact.targetQuantiles)]
                for (stream, key) in streams {
                    if let quantiles = LengthQuantiles.read(shards + "/train.\(stream).idx") { facts[key] = .array(quantiles.map { .int(Int64($0)) }) }
                }
                if facts[streams[0].1] != nil { lengthsNote = "the expected longest rows of each batch (shards' means \(lengths.source) + \(lengths.target))" }
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

/// Percentiles of record lengths from a shard index (`<split>.<stream>.idx`: little-endian
/// uint64 offsets, records + 1 of them), and the expected longest of a batch drawn from them.
enum LengthQuantiles {
    /// The lengths at percentiles 0, 1, …, 100; nil when the index cannot be read.
    static func read(_ path: String) -> [Int]? {
        guard let data = FileManager.default.contents(atPath: path), data.count >= 16, data.count % 8 == 0 else { return nil }
        var offsets = [UInt64](repeating: 0, count: data.count / 8)
        _ = offsets.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        let lengths = zip(offsets.dropFirst(), offsets).map { Int(truncatingIfNeeded: UInt64(littleEndian: $0) &- UInt64(littleEndian: $1)) }.sorted()
        // Offsets that go backwards (a damaged index) give no percentiles rather than nonsense.
        guard let shortest = lengths.first, shortest >= 0 else { return nil }
        return (0...100).map { lengths[min(lengths.count - 1, $0 * (lengths.count - 1) / 100)] }
    }

    /// E[max of `batch` draws] with each draw uniform over the 100 bins between percentiles
    /// (a bin's value: its upper percentile): Σ q_j · ((j/100)^B − ((j−1)/100)^B).
    static func expectedLongest(_ quantiles: [Int], batch: Int) -> Int {
        guard quantiles.count == 101 else { return quantiles.last ?? 0 }
        var expected = 0.0
        for j in 1...100 {
            expected += Double(quantiles[j]) * (pow(Double(j) / 100, Double(batch)) - pow(Double(j - 1) / 100, Double(batch)))
        }
        return Int(expected.rounded(.up))
    }
}
