import Foundation
import SLMCore
import SLMPipeline

/// Reads the packed token shards a tokenize stage writes (docs/data.md) and builds padded
/// training batches from them.
struct TokenShards {
    enum Layout: String { case encoderDecoder = "encoder-decoder", decoderOnly = "decoder-only" }

    /// One split: records as id sequences (encoder–decoder: source and target; decoder-only:
    /// the concatenated sequence and its per-id loss mask).
    struct Split {
        var sources: [[Int32]] = []
        var targets: [[Int32]] = []
        var sequences: [[Int32]] = []
        var masks: [[UInt8]] = []
        var count: Int { max(sources.count, sequences.count) }
    }

    let folder: String
    let layout: Layout
    let vocabSize: Int
    let padID: Int32
    let eosID: Int32
    let bosID: Int32?
    let train: Split
    let validation: Split?
    /// The tokenizer.json the shards were made with (the tokenize stage's `tokenizer`
    /// output) and its SHA-256, when the manifest records them.
    let tokenizerPath: String?
    let tokenizerDigest: Digest?

    init(folder: String, stage: String) throws {
        self.folder = folder
        let manifestPath = folder + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? JSONDecoder().decode(JSONValue.self, from: data).objectValue else {
            throw StageFailure("\(stage): \(manifestPath) is not a token-shard manifest (is 'data' a tokenize stage?)")
        }
        guard manifest["format"]?.stringValue == "slmflow-token-shards",
              let layout = manifest["layout"]?.stringValue.flatMap(Layout.init(rawValue:)),
              let vocab = manifest["vocab_size"]?.intValue, let pad = manifest["pad_id"]?.intValue,
              let eos = manifest["eos_id"]?.intValue else {
            throw StageFailure("\(stage): \(manifestPath) lacks format, layout, vocab_size, pad_id or eos_id")
        }
        self.layout = layout
        vocabSize = Int(vocab)
        padID = Int32(pad)
        eosID = Int32(eos)
        bosID = manifest["bos_id"]?.intValue.map { Int32($0) }
        // The manifest names the tokenizer relative to the tokenize stage's folder (the shards' parent).
        tokenizerPath = manifest["tokenizer"]?.stringValue.map { ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent($0) }
        tokenizerDigest = manifest["tokenizer_sha256"]?.stringValue.flatMap { Digest(hex: $0) }
        train = try Self.readSplit(folder, "train", layout, stage: stage)
        guard train.count > 0 else { throw StageFailure("\(stage): the training split in \(folder) has no records") }
        let hasValidation = FileManager.default.fileExists(atPath: folder + "/validation." + (layout == .decoderOnly ? "tokens" : "source") + ".idx")
        validation = hasValidation ? try Self.readSplit(folder, "validation", layout, stage: stage) : nil
    }

    private static func readSplit(_ folder: String, _ split: String, _ layout: Layout, stage: String) throws -> Split {
        var result = Split()
        switch layout {
        case .encoderDecoder:
            result.sources = try readStream(folder, split, "source", stage: stage)
            result.targets = try readStream(folder, split, "target", stage: stage)
            guard result.sources.count == result.targets.count else {
                throw StageFailure("\(stage): \(folder)/\(split): \(result.sources.count) sources but \(result.targets.count) targets")
            }
        case .decoderOnly:
            result.sequences = try readStream(folder, split, "tokens", stage: stage)
            let path = folder + "/\(split).mask.bin"
            guard let mask = FileManager.default.contents(atPath: path) else { throw StageFailure("\(stage): cannot read \(path)") }
            var start = 0
            for sequence in result.sequences {
                guard start + sequence.count <= mask.count else { throw StageFailure("\(stage): \(path) is shorter than the tokens") }
                result.masks.append([UInt8](mask[start..<(start + sequence.count)]))
                start += sequence.count
            }
        }
        return result
    }

    private static func readStream(_ folder: String, _ split: String, _ stream: String, stage: String) throws -> [[Int32]] {
        let binPath = folder + "/\(split).\(stream).bin", idxPath = folder + "/\(split).\(stream).idx"
        guard let ids = FileManager.default.contents(atPath: binPath), let idx = FileManager.default.contents(atPath: idxPath) else {
            throw StageFailure("\(stage): cannot read \(binPath) and \(idxPath)")
        }
        let offsets: [Int] = idx.withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map { Int(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
        let tokens: [Int32] = ids.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        guard offsets.first == 0, offsets.last == tokens.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw StageFailure("\(stage): \(idxPath) does not index \(binPath) (offsets must rise from 0 to \(tokens.count))")
        }
        return zip(offsets, offsets.dropFirst()).map { Array(tokens[$0..<$1]) }
    }

    /// A digest of every file of the shard folder (names and contents), for lineage.
    func contentDigest() throws -> Digest {
        let hasher = SHA256()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        for name in names {
            hasher.update(name + "\n")
            if let data = FileManager.default.contents(atPath: folder + "/" + name) { hasher.update(data) }
        }
        return hasher.finish()
    }
}

/// A padded batch, rows right-padded to the longest row.
struct TokenBatch {
    /// Encoder–decoder: the encoder ids; empty for decoder-only.
    var source: [Int32] = []
    /// Decoder input (BOS + target without its last id) or the decoder-only input.
    var input: [Int32] = []
    /// Next-id labels aligned with `input`; `ignore` where no loss is taken.
    var labels: [Int32] = []
    var rows = 0
    /// Non-padding ids the model reads (for tokens/s).
    var tokens = 0

    /// Encoder–decoder rows: decoder input is [start] + target[..<last], labels the target;
    /// padded labels equal the pad id, which the Mu loss ignores.
    static func encoderDecoder(_ split: TokenShards.Split, rows: [Int], pad: Int32, start: Int32) -> TokenBatch {
        var batch = TokenBatch(rows: rows.count)
        let sourceLength = rows.map { split.sources[$0].count }.max() ?? 0
        let targetLength = rows.map { split.targets[$0].count }.max() ?? 0
        for row in rows {
            let source = split.sources[row], target = split.targets[row]
            batch.source += source + Array(repeating: pad, count: sourceLength - source.count)
            let input = [start] + target.dropLast()
            batch.input += input + Array(repeating: pad, count: targetLength - input.count)
            batch.labels += target + Array(repeating: pad, count: targetLength - target.count)
            batch.tokens += source.count + input.count
        }
        return batch
    }

    /// Prefix-LM rows for an encoder–decoder from decoder-only sequences (each at least two
    /// ids long): every row is cut at `fraction` of its length (`prefixCut`), the encoder
    /// reads the ids before the cut and the decoder writes the rest from `start`. One fraction
    /// for the whole batch keeps its encoder and decoder halves padded to about one sequence's
    /// length together, where a cut per row would pad each half to nearly the longest row.
    static func prefixLM(_ split: TokenShards.Split, rows: [Int], fraction: Double, pad: Int32, start: Int32) -> TokenBatch {
        var halves = TokenShards.Split()
        for row in rows {
            let sequence = split.sequences[row]
            let cut = prefixCut(length: sequence.count, fraction: fraction)
            halves.sources.append(Array(sequence[..<cut]))
            halves.targets.append(Array(sequence[cut...]))
        }
        return encoderDecoder(halves, rows: Array(halves.sources.indices), pad: pad, start: start)
    }

    /// The k-th of a fixed sequence of fractions spread evenly over [0, 1) (the golden-ratio
    /// sequence from ½): the cuts of validation batches, the same on every evaluation.
    static func spreadFraction(_ k: Int) -> Double {
        (0.5 + Double(k) * 0.618_033_988_749_894_8).truncatingRemainder(dividingBy: 1)
    }

    /// Where a prefix-LM cut falls in a sequence of `length` ≥ 2 ids for `fraction` in [0, 1]:
    /// 1 + ⌊fraction · (length − 1)⌋, at most length − 1, so both parts keep at least one id.
    static func prefixCut(length: Int, fraction: Double) -> Int {
        precondition(length >= 2, "a prefix-LM cut needs at least two ids")
        return 1 + min(length - 2, Int(max(0, fraction) * Double(length - 1)))
    }

    /// Decoder-only rows: input is the sequence without its last id, labels the next id where
    /// the mask marks a target id, `ignore` elsewhere.
    static func decoderOnly(_ split: TokenShards.Split, rows: [Int], pad: Int32, ignore: Int32) -> TokenBatch {
        var batch = TokenBatch(rows: rows.count)
        let length = max(1, (rows.map { split.sequences[$0].count }.max() ?? 1) - 1)
        for row in rows {
            let sequence = split.sequences[row], mask = split.masks[row]
            let input = Array(sequence.dropLast())
            let labels = (1..<max(1, sequence.count)).map { mask[$0] == 1 ? sequence[$0] : ignore }
            batch.input += input + Array(repeating: pad, count: length - input.count)
            batch.labels += labels + Array(repeating: ignore, count: length - labels.count)
            batch.tokens += input.count
        }
        return batch
    }
}
