import Foundation

/// A tokenizer as HF `tokenizers` runs one: added tokens cut out, each remaining segment
/// normalized, pre-tokenized into words, each word run through the model; then
/// post-processing (BOS, [CLS] … [SEP]) when special tokens are on.
public struct Tokenizer: Sendable {
    public var normalizer: Normalizer?
    public var preTokenizer: PreTokenizer?
    public var model: TokenizerModel
    public var postProcessor: PostProcessor?
    public var decoder: TokenDecoder?
    public private(set) var addedTokens: [AddedToken]
    private var rawMatcher: AddedTokenMatcher
    private var normalizedMatcher: AddedTokenMatcher
    private var addedById: [Int32: AddedToken]
    private var addedByContent: [TokenKey: Int32]

    public init(model: TokenizerModel, normalizer: Normalizer? = nil, preTokenizer: PreTokenizer? = nil,
                postProcessor: PostProcessor? = nil, decoder: TokenDecoder? = nil, addedTokens: [AddedToken] = []) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized })
        normalizedMatcher = AddedTokenMatcher(addedTokens.filter { $0.normalized })
        addedById = Dictionary(addedTokens.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        addedByContent = Dictionary(addedTokens.map { (TokenKey($0.content), $0.id) }, uniquingKeysWith: { first, _ in first })
    }

    /// The number of ids: the model's vocabulary and added tokens beyond it.
    public var vocabularySize: Int {
        max(model.vocabulary.count, (addedTokens.map { Int($0.id) }.max() ?? -1) + 1)
    }

    public func id(of token: String) -> Int32? { addedByContent[TokenKey(token)] ?? model.vocabulary.id(token) }
    public func token(of id: Int32) -> String? { addedById[id]?.content ?? model.vocabulary.token(id) }
    public func isSpecial(_ id: Int32) -> Bool { addedById[id]?.special == true }

    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        for segment in rawMatcher.split(text) {
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let raw):
                let normalized = normalizer?.apply(raw) ?? raw
                for inner in normalizedMatcher.split(normalized) {
                    switch inner {
                    case .token(let id): ids.append(id)
                    case .text(let piece): try encodeWords(piece, into: &ids)
                    }
                }
            }
        }
        if addSpecialTokens, let postProcessor { return postProcessor.apply(ids) }
        return ids
    }

    private func encodeWords(_ text: String, into ids: inout [Int32]) throws {
        guard !text.isEmpty else { return }
        guard let preTokenizer else { try model.tokenize(text, into: &ids); return }
        for word in preTokenizer.split(text) where !word.isEmpty { try model.tokenize(word, into: &ids) }
    }

    /// The text of `ids`; ids outside the vocabulary are skipped, as HF does.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            if let added = addedById[id] {
                if skipSpecialTokens && added.special { continue }
                tokens.append(added.content)
            } else if let token = model.vocabulary.token(id) {
                tokens.append(token)
            }
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }
}
