/// The tokenizer description a GGUF file carries (`tokenizer.ggml.*`), read by the GGUF
/// reader and turned into the same `Tokenizer` types a tokenizer.json gives.
public struct VocabularyParts: Sendable {
    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE with merges) or "llama"
    /// (SentencePiece BPE: scores, byte fallback).
    public var model: String
    public var tokens: [String]
    /// `tokenizer.ggml.scores` (llama): merges are derived from them when `merges` is empty.
    public var scores: [Float]
    /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    public var tokenTypes: [Int32]
    /// `tokenizer.ggml.merges`: "left right" strings (gpt2).
    public var merges: [String]
    public var bosId: Int32?
    public var eosId: Int32?
    public var unknownId: Int32?
    public var addBos: Bool
    /// `tokenizer.ggml.pre` (gpt2 models): llama.cpp's name for the pre-tokenizer. nil,
    /// "default" and "gpt2" mean GPT-2's regex; "smollm" splits every digit first (as
    /// SmolLM2's tokenizer.json: Digits(individual) then ByteLevel). Others are refused.
    public var preTokenizerName: String?

    /// The `tokenizer.ggml.pre` values this build reproduces.
    public static let supportedPreTokenizers = ["default", "gpt2", "smollm"]

    public init(model: String, tokens: [String], scores: [Float] = [], tokenTypes: [Int32] = [], merges: [String] = [],
                bosId: Int32? = nil, eosId: Int32? = nil, unknownId: Int32? = nil, addBos: Bool = false, preTokenizerName: String? = nil) {
        self.model = model
        self.preTokenizerName = preTokenizerName
        self.tokens = tokens
        self.scores = scores
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosId = bosId
        self.eosId = eosId
        self.unknownId = unknownId
        self.addBos = addBos
    }
}

extension Tokenizer {
    /// A tokenizer from GGUF-style parts; errors name the GGUF key at fault.
    public init(parts: VocabularyParts, source: String = "GGUF") throws {
        let vocabulary = Vocabulary(tokens: parts.tokens)
        guard parts.tokenTypes.isEmpty || parts.tokenTypes.count == parts.tokens.count else {
            throw TokenizerError("\(source): tokenizer.ggml.token_type has \(parts.tokenTypes.count) entries for \(parts.tokens.count) tokens")
        }
        // Control and user-defined tokens are matched whole, before the model.
        var added: [AddedToken] = []
        for (id, type) in parts.tokenTypes.enumerated() where type == 3 || type == 4 {
            added.append(AddedToken(id: Int32(id), content: parts.tokens[id], normalized: false, special: type == 3))
        }
        let prefix = parts.addBos ? parts.bosId.map { [$0] } ?? [] : []
        switch parts.model {
        case "gpt2":
            var pairs: [(String, String)] = []
            for (index, merge) in parts.merges.enumerated() {
                let utf8 = merge.utf8
                guard let space = utf8.firstIndex(of: 0x20) else {
                    throw TokenizerError("\(source): tokenizer.ggml.merges[\(index)]: expected 'left right', got '\(merge)'")
                }
                pairs.append((String(decoding: utf8[..<space], as: UTF8.self), String(decoding: utf8[utf8.index(after: space)...], as: UTF8.self)))
            }
            let byteLevel = PreTokenizer.byteLevel(addPrefixSpace: false, useRegex: true)
            let preTokenizer: PreTokenizer
            switch parts.preTokenizerName {
            case nil, "default", "gpt2": preTokenizer = byteLevel
            case "smollm": preTokenizer = .sequence([.digits(individual: true), byteLevel])
            case let other?:
                throw TokenizerError("\(source): tokenizer.ggml.pre '\(other)' is not supported (supported: \(Self.supportedPreTokenizersText))")
            }
            let model = try BPEModel(vocabulary: vocabulary, merges: pairs, options: BPEModel.Options(), file: source)
            self.init(model: .bpe(model), preTokenizer: preTokenizer,
                      postProcessor: .template(prefix: prefix, suffix: []), decoder: .byteLevel, addedTokens: added)
        case "llama":
            guard parts.scores.count == parts.tokens.count else {
                throw TokenizerError("\(source): tokenizer.ggml.scores has \(parts.scores.count) entries for \(parts.tokens.count) tokens")
            }
            var options = BPEModel.Options()
            options.byteFallback = true
            options.fuseUnk = true
            if let unknown = parts.unknownId { options.unkToken = vocabulary.token(unknown) }
            let merges = Self.mergesFromScores(vocabulary: vocabulary, scores: parts.scores)
            let model = try BPEModel(vocabulary: vocabulary, mergeIds: merges, options: options, file: source)
            self.init(model: .bpe(model), normalizer: .sequence([.prepend("▁"), .replace(pattern: " ", content: "▁")]),
                      postProcessor: .template(prefix: prefix, suffix: []),
                      decoder: .sequence([.replace(pattern: "▁", content: " "), .byteFallback, .fuse, .strip(content: " ", start: 1, stop: 0)]),
                      addedTokens: added)
        default:
            throw TokenizerError("\(source): unsupported tokenizer.ggml.model '\(parts.model)' (supported: gpt2, llama)")
        }
    }

    static var supportedPreTokenizersText: String { VocabularyParts.supportedPreTokenizers.joined(separator: ", ") }

    /// SentencePiece merges as the Hugging Face converter derives them: every split of a
    /// token into two vocabulary tokens is a merge, ranked by the merged token's score
    /// (highest first), ties in vocabulary order, then by the parts' ids.
    static func mergesFromScores(vocabulary: Vocabulary, scores: [Float]) -> [(Int32, Int32)] {
        var merges: [(pair: (Int32, Int32), score: Float, order: Int)] = []
        for (id, token) in vocabulary.tokens.enumerated() {
            let bytes = Array(token.utf8)
            var local: [(Int32, Int32)] = []
            for cut in 1..<max(bytes.count, 1) where bytes[cut] & 0xC0 != 0x80 {
                let left = bytes[..<cut].withUnsafeBufferPointer { vocabulary.id(utf8: $0) }
                let right = bytes[cut...].withUnsafeBufferPointer { vocabulary.id(utf8: $0) }
                if let left, let right { local.append((left, right)) }
            }
            local.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for pair in local { merges.append((pair, scores[id], merges.count)) }
        }
        merges.sort { $0.score != $1.score ? $0.score > $1.score : $0.order < $1.order }
        return merges.map(\.pair)
    }
}
