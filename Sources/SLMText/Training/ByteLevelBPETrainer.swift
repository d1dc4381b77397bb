/// Trains a byte-level BPE tokenizer (GPT-2 style) from text: words are the GPT-2 regex
/// pieces of each text, symbols start as the 256 bytes, and the most frequent adjacent pair
/// is merged until the vocabulary is full or no pair occurs `minFrequency` times.
public struct ByteLevelBPETrainer: Sendable {
    public var vocabSize: Int
    public var minFrequency: Int
    /// Added first, ids 0..<count, and matched whole in text.
    public var specialTokens: [String]
    /// The ByteLevel pre-tokenizer's `add_prefix_space`: a text that does not start with a
    /// space gets one, so its first word tokenizes as it does inside a text (" Paris", not
    /// "Paris"). For QA targets this makes an answer's ids those of its span in the context.
    public var addPrefixSpace: Bool

    public init(vocabSize: Int, minFrequency: Int = 2, specialTokens: [String] = [], addPrefixSpace: Bool = false) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
        self.addPrefixSpace = addPrefixSpace
    }

    /// Empty word counts that split text as this trainer's tokenizer will.
    public func wordCounts() -> WordCounts { WordCounts(addPrefixSpace: addPrefixSpace) }

    /// Word counts are accumulated text by text, so a corpus can be streamed through `add`.
    public struct WordCounts: Sendable {
        var counts: [[UInt8]: Int] = [:]
        public private(set) var bytes = 0
        public let addPrefixSpace: Bool
        public init(addPrefixSpace: Bool = false) { self.addPrefixSpace = addPrefixSpace }

        public mutating func add(_ text: String) {
            let text = addPrefixSpace && !text.hasPrefix(" ") ? " " + text : text
            bytes += text.utf8.count
            let scalars = Array(text.unicodeScalars)
            let bytes = Array(text.utf8)
            let offsets = ScalarOffsets.utf8Offsets(scalars)
            for range in GPT2Splitter.split(scalars) {
                counts[Array(bytes[offsets[range.lowerBound]..<offsets[range.upperBound]]), default: 0] += 1
            }
        }
    }

    public func train(_ texts: [String]) throws -> Tokenizer {
        var counts = wordCounts()
        for text in texts { counts.add(text) }
        return try train(counts)
    }

    public func train(_ counts: WordCounts) throws -> Tokenizer {
        guard counts.addPrefixSpace == addPrefixSpace else {
            throw TokenizerError("the word counts were made with add_prefix_space \(counts.addPrefixSpace), the trainer has \(addPrefixSpace)")
        }
        guard vocabSize >= specialTokens.count + 256 else {
            throw TokenizerError("vocab size \(vocabSize) is below the \(specialTokens.count + 256) tokens of the special tokens and the byte alphabet")
        }
        guard minFrequency >= 1 else { throw TokenizerError("min frequency must be at least 1, got \(minFrequency)") }
        var vocabulary = Vocabulary(tokens: [])
        for token in specialTokens {
            guard vocabulary.id(token) == nil else { throw TokenizerError("special token '\(token)' is listed twice") }
            _ = vocabulary.append(token)
        }
        let byteIds = ByteLevelAlphabet.characters.map { vocabulary.append($0) }

        // Words sorted for determinism; symbols as token ids.
        let sortedWords = counts.counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var words: [[Int32]] = sortedWords.map { $0.key.map { byteIds[Int($0)] } }
        let frequency: [Int] = sortedWords.map(\.value)
        var pairs = PairStatistics()
        for (index, word) in words.enumerated() { pairs.add(word, index: Int32(index), weight: frequency[index]) }

        var merges: [(Int32, Int32)] = []
        while vocabulary.count < vocabSize, let (pair, count) = pairs.best(), count >= minFrequency {
            let left = Int32(truncatingIfNeeded: pair >> 32), right = Int32(truncatingIfNeeded: pair & 0xFFFF_FFFF)
            guard let leftToken = vocabulary.token(left), let rightToken = vocabulary.token(right) else { break }
            let merged = vocabulary.append(leftToken + rightToken)
            merges.append((left, right))
            for index in pairs.words(containing: pair) {
                let i = Int(index)
                pairs.remove(words[i], index: index, weight: frequency[i])
                words[i] = Self.merge(words[i], left, right, into: merged)
                pairs.add(words[i], index: index, weight: frequency[i])
            }
        }
        let model = try BPEModel(vocabulary: vocabulary, mergeIds: merges, options: BPEModel.Options(), file: "trained tokenizer")
        let added = specialTokens.enumerated().map {
            AddedToken(id: Int32($0.offset), content: $0.element, normalized: false, special: true)
        }
        return Tokenizer(model: .bpe(model), preTokenizer: .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: true),
                         postProcessor: .identity, decoder: .byteLevel, addedTokens: added)
    }

    static func merge(_ word: [Int32], _ left: Int32, _ right: Int32, into merged: Int32) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(word.count)
        var i = 0
        while i < word.count {
            if i + 1 < word.count, word[i] == left, word[i + 1] == right {
                out.append(merged)
                i += 2
            } else {
                out.append(word[i])
                i += 1
            }
        }
        return out
    }
}

/// Weighted counts of adjacent pairs, which words hold each pair, and a max-heap of
/// (count, pair) with stale entries skipped on pop. Ties go to the smaller pair key.
struct PairStatistics {
    private var counts: [UInt64: Int] = [:]
    private var holders: [UInt64: Set<Int32>] = [:]
    private var heap = PriorityHeap<PairCount>()

    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    mutating func add(_ word: [Int32], index: Int32, weight: Int) {
        guard word.count > 1 else { return }
        var touched: Set<UInt64> = []
        for i in 0..<(word.count - 1) {
            let pair = Self.key(word[i], word[i + 1])
            counts[pair, default: 0] += weight
            holders[pair, default: []].insert(index)
            touched.insert(pair)
        }
        for pair in touched { push(counts[pair] ?? 0, pair) }
    }

    mutating func remove(_ word: [Int32], index: Int32, weight: Int) {
        guard word.count > 1 else { return }
        for i in 0..<(word.count - 1) {
            let pair = Self.key(word[i], word[i + 1])
            let remaining = (counts[pair] ?? 0) - weight
            if remaining <= 0 { counts[pair] = nil; holders[pair] = nil } else { counts[pair] = remaining }
        }
        for i in 0..<(word.count - 1) {
            let pair = Self.key(word[i], word[i + 1])
            holders[pair]?.remove(index)
        }
    }

    func words(containing pair: UInt64) -> [Int32] { (holders[pair] ?? []).sorted() }

    /// The most frequent pair now, or nil when no pair is left.
    mutating func best() -> (UInt64, Int)? {
        while let top = popHeap() {
            guard let current = counts[top.pair], current > 0 else { continue }
            if current == top.count { return (top.pair, current) }
            push(current, top.pair)
        }
        return nil
    }

    private mutating func push(_ count: Int, _ pair: UInt64) { heap.push(PairCount(count: count, pair: pair)) }

    private mutating func popHeap() -> PairCount? { heap.pop() }
}

/// A pair and its count when queued; the heap yields the highest count first, ties to the
/// smaller pair key.
struct PairCount: HeapOrdered {
    var count: Int
    var pair: UInt64

    static func comesFirst(_ a: PairCount, _ b: PairCount) -> Bool { a.count != b.count ? a.count > b.count : a.pair < b.pair }
}
