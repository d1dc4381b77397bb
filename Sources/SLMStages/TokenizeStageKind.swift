import Foundation
import SLMCore
import SLMData
import SLMPipeline
import SLMText

/// `kind: tokenize`: takes a tokenizer (another stage's, or a file) or trains a byte-level
/// BPE on the training split, and writes packed token shards (docs/data.md) of a folder of
/// `train.jsonl` [`validation.jsonl`, `test.jsonl`] source/target records. The tokenizer is
/// itself an output (`tokenizer/tokenizer.json`), so downstream stages key on its digest.
public struct TokenizeStageKind: StageKind {
    public init() {}

    public let name = "tokenize"
    public let version = 2
    public let summary = "tokenize source/target records into packed token shards"
    public let fixedOutputs = ["shards", "tokenizer"]
    /// `data: tok` means the shards; the tokenizer is `tok.tokenizer`.
    public let primaryOutput: String? = "shards"
    public let parameters: [ParameterSchema] = [
        ParameterSchema("data", .stageOutput, default: .null, help: "a stage whose output folder holds train.jsonl [validation.jsonl, test.jsonl]"),
        ParameterSchema("data_dir", .inputPath, default: .null, help: "a workspace folder holding train.jsonl [validation.jsonl, test.jsonl]"),
        ParameterSchema("source_field", .string, default: "source", help: "record field of the source text (dotted path)"),
        ParameterSchema("target_field", .string, default: "target", help: "record field of the target text (dotted path)"),
        ParameterSchema("tokenizer", .stageOutput, default: .null,
                        help: "a stage's tokenizer output or model folder (a tokenizer.json or a folder holding one): tok.tokenizer, teacher"),
        ParameterSchema("tokenizer_file", .inputPath, default: .null, help: "a tokenizer.json in the workspace"),
        ParameterSchema("vocab_size", .integer, default: 4096, help: "when training: vocabulary size"),
        ParameterSchema("min_frequency", .integer, default: 2, help: "when training: minimum pair count to merge"),
        ParameterSchema("add_prefix_space", .boolean, default: true,
                        help: "when training: a space before each text, so an answer tokenizes as its span in the context does"),
        ParameterSchema("special_tokens", .list(.string), default: ["<pad>", "<s>", "<|endoftext|>"],
                        help: "when training: special tokens, ids 0, 1, … (the seed's layout: pad 0, BOS 1)"),
        ParameterSchema("layout", .string, default: "encoder-decoder", help: "encoder-decoder or decoder-only"),
        ParameterSchema("source_loss", .boolean, default: false,
                        help: "decoder-only: the loss covers the source ids too (language-model pre-training), not only the target"),
        ParameterSchema("max_source_length", .integer, default: 512, help: "maximum source ids"),
        ParameterSchema("max_target_length", .integer, default: 128, help: "maximum target ids, EOS included"),
        ParameterSchema("truncation", .string, default: "right", help: "right (keep the start), left (keep the end) or drop"),
        ParameterSchema("eos_token", .string, default: "<|endoftext|>", help: "appended to every target"),
        ParameterSchema("pad_token", .string, default: "<pad>", help: "recorded in the manifest for batching (falls back to <unk>, then EOS)"),
        ParameterSchema("bos_token", .string, default: "<s>", help: "recorded in the manifest as the decoder's start id (null when absent)"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let p = StageParameters(values: parameters)
        if p.isSet("data") == p.isSet("data_dir") {
            problems.append(Diagnostic("give exactly one of 'data' (a stage) and 'data_dir' (a folder)", at: locations["data"] ?? locations["data_dir"]))
        }
        if p.isSet("tokenizer") && p.isSet("tokenizer_file") {
            problems.append(Diagnostic("give at most one of 'tokenizer' and 'tokenizer_file'", at: locations["tokenizer_file"]))
        }
        checkChoice(parameters, "layout", ["encoder-decoder", "decoder-only"], locations: locations, into: &problems)
        checkChoice(parameters, "truncation", ["right", "left", "drop"], locations: locations, into: &problems)
        if p.values["source_loss"]?.boolValue == true && p.string("layout", "encoder-decoder") != "decoder-only" {
            problems.append(Diagnostic("'source_loss' applies to decoder-only shards only (layout: decoder-only)", at: locations["source_loss"]))
        }
        checkRange(parameters, "max_source_length", 1...1_000_000, locations: locations, into: &problems)
        checkRange(parameters, "max_target_length", 2...1_000_000, locations: locations, into: &problems)
        checkRange(parameters, "vocab_size", 257...1_000_000, locations: locations, into: &problems)
        checkRange(parameters, "min_frequency", 1...1_000_000_000, locations: locations, into: &problems)
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        let p = StageParameters(values: invocation.parameters)
        guard let shardFolder = invocation.outputs["shards"], let tokenizerFolder = invocation.outputs["tokenizer"] else {
            throw StageFailure("tokenize: missing output paths")
        }
        guard let dataFolder = (invocation.inputs["data"] ?? invocation.inputs["data_dir"])?.first else {
            throw StageFailure("tokenize: no data folder")
        }
        var splits: [(String, [TextPair])] = []
        for split in ["train", "validation", "test"] {
            let path = dataFolder + "/\(split).jsonl"
            guard FileManager.default.fileExists(atPath: path) else {
                if split == "train" { throw StageFailure("tokenize: \(path) does not exist (the training split is required)") }
                continue
            }
            do {
                splits.append((split, try DatasetReaders.textPairs(jsonl: path, sourceField: p.string("source_field", "source"),
                                                                   targetField: p.string("target_field", "target"))))
            } catch let error as DatasetError {
                throw StageFailure("tokenize: \(error.message)")
            }
        }

        let (tokenizer, tokenizerJSON, trained) = try obtainTokenizer(invocation, p, training: splits.first?.1 ?? [])
        try FileManager.default.createDirectory(atPath: tokenizerFolder, withIntermediateDirectories: true)
        try AtomicFile.write(Data(tokenizerJSON.utf8), to: tokenizerFolder + "/tokenizer.json")
        let tokenizerDigest = SHA256.hash(Data(tokenizerJSON.utf8))

        let eosToken = p.string("eos_token", "<|endoftext|>")
        guard let eos = tokenizer.id(of: eosToken) else { throw StageFailure("tokenize: the tokenizer has no EOS token '\(eosToken)'") }
        let pad = tokenizer.id(of: p.string("pad_token", "<pad>")) ?? tokenizer.id(of: "<unk>") ?? eos
        let bos = tokenizer.id(of: p.string("bos_token", "<s>"))
        guard let truncation = Truncation(rawValue: p.string("truncation", "right")) else { throw StageFailure("tokenize: bad truncation") }
        let decoderOnly = p.string("layout", "encoder-decoder") == "decoder-only"
        let sourceLoss = p.bool("source_loss", false)
        let maxSource = p.int("max_source_length", 512), maxTarget = p.int("max_target_length", 128)

        try FileManager.default.createDirectory(atPath: shardFolder, withIntermediateDirectories: true)
        var splitSummaries: [String: JSONValue] = [:]
        var metrics: [String: JSONValue] = ["tokenizer_trained": .bool(trained), "vocab_size": .int(Int64(tokenizer.vocabularySize))]
        for (split, pairs) in splits {
            var sources = TokenStreamWriter(), targets = TokenStreamWriter(), sequences = TokenStreamWriter()
            var mask = Data()
            var truncated = 0, dropped = 0, targetTokens = 0
            for (index, pair) in pairs.enumerated() {
                let sourceIds: [Int32], targetIds: [Int32]
                do {
                    sourceIds = try tokenizer.encode(pair.source)
                    targetIds = try tokenizer.encode(pair.target, addSpecialTokens: false)
                } catch let error as TokenizerError {
                    throw StageFailure("tokenize: \(split).jsonl record \(index + 1): \(error.message)")
                }
                guard let source = truncation.apply(sourceIds, limit: maxSource),
                      let targetBody = truncation.apply(targetIds, limit: maxTarget - 1) else { dropped += 1; continue }
                if source.count < sourceIds.count || targetBody.count < targetIds.count { truncated += 1 }
                let target = targetBody + [eos]
                if decoderOnly {
                    sequences.append(source + target)
                    mask.append(contentsOf: [UInt8](repeating: sourceLoss ? 1 : 0, count: source.count) + [UInt8](repeating: 1, count: target.count))
                    targetTokens += target.count
                } else {
                    sources.append(source)
                    targets.append(target)
                }
            }
            var summary: [String: JSONValue] = ["truncated": .int(Int64(truncated)), "dropped": .int(Int64(dropped))]
            if decoderOnly {
                try sequences.write(folder: shardFolder, split: split, stream: "tokens")
                try AtomicFile.write(mask, to: shardFolder + "/\(split).mask.bin")
                summary["records"] = .int(Int64(sequences.records))
                summary["tokens"] = .int(Int64(sequences.tokens))
                summary["target_tokens"] = .int(Int64(targetTokens))
                summary["loss_tokens"] = .int(Int64(mask.reduce(0) { $0 + Int($1) }))
            } else {
                try sources.write(folder: shardFolder, split: split, stream: "source")
                try targets.write(folder: shardFolder, split: split, stream: "target")
                summary["records"] = .int(Int64(sources.records))
                summary["source_tokens"] = .int(Int64(sources.tokens))
                summary["target_tokens"] = .int(Int64(targets.tokens))
            }
            splitSummaries[split] = .object(summary)
            metrics["\(split)_records"] = summary["records"]
            invocation.progress("\(split): \(pairs.count - dropped) records")
        }
        let manifest: JSONValue = [
            "format": "slmflow-token-shards", "version": 1,
            "layout": .string(decoderOnly ? "decoder-only" : "encoder-decoder"),
            "id_type": "uint32-le", "offset_type": "uint64-le",
            "tokenizer": "tokenizer/tokenizer.json", "tokenizer_sha256": .string(tokenizerDigest.hex),
            "vocab_size": .int(Int64(tokenizer.vocabularySize)),
            "eos_id": .int(Int64(eos)), "pad_id": .int(Int64(pad)), "bos_id": bos.map { .int(Int64($0)) } ?? .null,
            "max_source_length": .int(Int64(maxSource)), "max_target_length": .int(Int64(maxTarget)),
            "truncation": .string(truncation.rawValue), "splits": .object(splitSummaries),
        ]
        try AtomicFile.write(manifest.canonicalText + "\n", to: shardFolder + "/manifest.json")
        return StageOutcome(metrics: metrics)
    }

    /// The tokenizer and its tokenizer.json text: read from the given file or stage output,
    /// or trained on the training split's sources and targets.
    private func obtainTokenizer(_ invocation: StageInvocation, _ p: StageParameters, training: [TextPair]) throws -> (Tokenizer, String, Bool) {
        if let given = (invocation.inputs["tokenizer"] ?? invocation.inputs["tokenizer_file"])?.first {
            let file = try tokenizerFile(given, invocation)
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StageFailure("stage '\(invocation.stage)': tokenize: cannot read \(file)")
            }
            do {
                return (try Tokenizer.load(contentsOf: file), String(decoding: data, as: UTF8.self), false)
            } catch let error as TokenizerError {
                throw StageFailure("tokenize: \(error.message)")
            }
        }
        let trainer = ByteLevelBPETrainer(vocabSize: p.int("vocab_size", 4096), minFrequency: p.int("min_frequency", 2),
                                          specialTokens: p.strings("special_tokens"), addPrefixSpace: p.bool("add_prefix_space", true))
        var counts = trainer.wordCounts()
        for pair in training {
            counts.add(pair.source)
            counts.add(pair.target)
        }
        do {
            let tokenizer = try trainer.train(counts)
            return (tokenizer, try tokenizer.tokenizerJSON(), true)
        } catch let error as TokenizerError {
            throw StageFailure("tokenize: training the tokenizer: \(error.message)")
        }
    }

    /// The tokenizer.json a `tokenizer`/`tokenizer_file` input names: the file itself, the
    /// tokenizer.json inside a folder (a model folder of a pull, train or distill stage, a
    /// tokenize stage's `tokenizer` output), or, for a tokenize stage's shards (`tokenizer:
    /// tok`), the tokenizer their manifest names, checked against the digest it records.
    private func tokenizerFile(_ given: String, _ invocation: StageInvocation) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue else { return given }
        let inside = given + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: inside) { return inside }
        let stage = "stage '\(invocation.stage)'"
        if let data = FileManager.default.contents(atPath: given + "/manifest.json"),
           let manifest = (try? JSONDecoder().decode(JSONValue.self, from: data))?.objectValue,
           manifest["format"]?.stringValue == "slmflow-token-shards", let relative = manifest["tokenizer"]?.stringValue,
           !relative.hasPrefix("/"), !relative.split(separator: "/").contains("..") {
            let file = (given as NSString).deletingLastPathComponent + "/" + relative
            guard let bytes = FileManager.default.contents(atPath: file),
                  SHA256.hash(bytes).hex == manifest["tokenizer_sha256"]?.stringValue else {
                throw StageFailure("\(stage): the shards \(given) name the tokenizer \(file), which is missing or not the one they were made with")
            }
            return file
        }
        let named = invocation.parameters["tokenizer"]?.stringValue ?? given
        throw StageFailure("\(stage): 'tokenizer' \(named) is the folder \(given), which holds no tokenizer.json (a model folder has one "
            + "when its model came with a tokenizer: a train or distill stage, or a pull of a model that carries one)")
    }
}
