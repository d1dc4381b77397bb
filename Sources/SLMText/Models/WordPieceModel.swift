/// BERT's WordPiece: greedy longest-match-first over a word's characters, pieces after the
/// first prefixed with `##`; a word with no complete cover, or longer than
/// `maxInputCharsPerWord`, becomes one unk.
public struct WordPieceModel: Sendable {
    public let vocabulary: Vocabulary
    public let unkToken: String
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    let unkId: Int32

    public init(vocabulary: Vocabulary, unkToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharsPerWord: Int = 100, file: String = "tokenizer") throws {
        guard let unkId = vocabulary.id(unkToken) else {
            throw TokenizerError("\(file): model.unk_token '\(unkToken)' is not in the vocabulary")
        }
        self.vocabulary = vocabulary
        self.unkToken = unkToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unkId = unkId
    }

    public func tokenize(_ word: String, into ids: inout [Int32]) {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > maxInputCharsPerWord { ids.append(unkId); return }
        let bytes = Array(word.utf8)
        let offsets = ScalarOffsets.utf8Offsets(scalars)
        let prefix = Array(continuingSubwordPrefix.utf8)
        var candidate: [UInt8] = []
        var pieces: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: prefix) }
                candidate.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = candidate.withUnsafeBufferPointer({ vocabulary.id(utf8: $0) }) { found = id; break }
                end -= 1
            }
            guard let id = found else { ids.append(unkId); return }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}

/// The model a tokenizer runs on each pre-tokenized word.
public enum TokenizerModel: Sendable {
    case bpe(BPEModel)
    case wordPiece(WordPieceModel)

    public var vocabulary: Vocabulary {
        switch self {
        case .bpe(let model): return model.vocabulary
        case .wordPiece(let model): return model.vocabulary
        }
    }

    public func tokenize(_ word: String, into ids: inout [Int32]) throws {
        switch self {
        case .bpe(let model): try model.tokenize(word, into: &ids)
        case .wordPiece(let model): model.tokenize(word, into: &ids)
        }
    }
}
