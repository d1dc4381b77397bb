/// Byte-pair encoding as HF `tokenizers` runs it: a word's characters are looked up (or
/// fall back to `<0xXX>` byte tokens, or to unk, fused when `fuseUnk`), then the
/// lowest-ranked adjacent pair is merged, leftmost first, until no merge applies.
public struct BPEModel: Sendable {
    public struct Options: Sendable {
        public var unkToken: String?
        public var continuingSubwordPrefix: String?
        public var endOfWordSuffix: String?
        public var fuseUnk = false
        public var byteFallback = false
        public var ignoreMerges = false
        public init() {}
    }

    public let vocabulary: Vocabulary
    public let options: Options
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: PairTable
    /// Merge pairs in rank order, for writing the model back out.
    public let mergePairs: [(Int32, Int32)]
    /// Ids of one-scalar tokens: a flat table for the Basic Multilingual Plane (-1 = none).
    let bmpIds: [Int32]
    let supplementaryIds: [UInt32: Int32]
    let byteFallbackIds: [Int32]?
    let unkId: Int32?

    /// `merges` as pairs of token strings in rank order. A merge whose parts or result are
    /// not in the vocabulary is an error naming it.
    public init(vocabulary: Vocabulary, merges: [(String, String)], options: Options, file: String = "tokenizer") throws {
        var pairs: [(Int32, Int32)] = []
        pairs.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let leftId = vocabulary.id(left), let rightId = vocabulary.id(right) else {
                throw TokenizerError("\(file): model.merges[\(rank)]: '\(left) \(right)' uses a token missing from the vocabulary")
            }
            pairs.append((leftId, rightId))
        }
        try self.init(vocabulary: vocabulary, mergeIds: pairs, options: options, file: file)
    }

    /// `mergeIds` as pairs of ids in rank order (the form a trainer or a GGUF loader has).
    public init(vocabulary: Vocabulary, mergeIds: [(Int32, Int32)], options: Options, file: String = "tokenizer") throws {
        self.vocabulary = vocabulary
        self.options = options
        var table = PairTable(capacity: mergeIds.count)
        var joined: [UInt8] = []
        for (rank, (leftId, rightId)) in mergeIds.enumerated() {
            guard let left = vocabulary.token(leftId), let right = vocabulary.token(rightId) else {
                throw TokenizerError("\(file): merge \(rank) names an id outside the vocabulary")
            }
            var rightPart = right
            if let prefix = options.continuingSubwordPrefix { rightPart = right.droppingScalarPrefix(prefix) }
            joined.removeAll(keepingCapacity: true)
            joined.append(contentsOf: left.utf8)
            joined.append(contentsOf: rightPart.utf8)
            guard let merged = joined.withUnsafeBufferPointer({ vocabulary.id(utf8: $0) }) else {
                throw TokenizerError("\(file): model.merges[\(rank)]: the merge '\(left) \(right)' gives '\(left + rightPart)', which is not in the vocabulary")
            }
            let key = UInt64(UInt32(bitPattern: leftId)) << 32 | UInt64(UInt32(bitPattern: rightId))
            table.insertIfAbsent(key, UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)))
        }
        merges = table
        mergePairs = mergeIds
        var bmp = [Int32](repeating: -1, count: 0x10000)
        var supplementary: [UInt32: Int32] = [:]
        for (id, token) in vocabulary.tokens.enumerated() {
            var scalars = token.unicodeScalars.makeIterator()
            guard let scalar = scalars.next(), scalars.next() == nil else { continue }
            if scalar.value < 0x10000 {
                if bmp[Int(scalar.value)] < 0 { bmp[Int(scalar.value)] = Int32(id) }
            } else if supplementary[scalar.value] == nil {
                supplementary[scalar.value] = Int32(id)
            }
        }
        bmpIds = bmp
        supplementaryIds = supplementary
        if options.byteFallback {
            let ids = (0..<256).map { vocabulary.id(Self.byteToken(UInt8($0))) }
            byteFallbackIds = ids.allSatisfy { $0 != nil } ? ids.map { $0 ?? 0 } : nil
        } else {
            byteFallbackIds = nil
        }
        if let unk = options.unkToken {
            guard let id = vocabulary.id(unk) else { throw TokenizerError("\(file): model.unk_token '\(unk)' is not in the vocabulary") }
            unkId = id
        } else {
            unkId = nil
        }
    }

    /// `<0x0A>`: the byte-fallback token of a byte.
    public static func byteToken(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x" + (hex.count == 1 ? "0" + hex : hex) + ">"
    }

    public func tokenize(_ word: String, into ids: inout [Int32]) throws {
        if options.ignoreMerges, let id = vocabulary.id(word) { ids.append(id); return }
        var symbols = try initialSymbols(word)
        if symbols.count > 1 {
            if symbols.count <= 48 { mergeSmall(&symbols) } else { mergeLarge(&symbols) }
        }
        ids.append(contentsOf: symbols)
    }

    private func initialSymbols(_ word: String) throws -> [Int32] {
        var symbols: [Int32] = []
        var pendingUnk = false
        let simple = options.continuingSubwordPrefix == nil && options.endOfWordSuffix == nil
        let scalars = Array(word.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            var found: Int32?
            if simple {
                if scalar.value < 0x10000 {
                    let id = bmpIds[Int(scalar.value)]
                    found = id >= 0 ? id : nil
                } else {
                    found = supplementaryIds[scalar.value]
                }
            } else {
                var piece = String(Character(scalar))
                if index > 0, let prefix = options.continuingSubwordPrefix { piece = prefix + piece }
                if index == scalars.count - 1, let suffix = options.endOfWordSuffix { piece += suffix }
                found = vocabulary.id(piece)
            }
            if let id = found {
                if pendingUnk, let unk = unkId { symbols.append(unk); pendingUnk = false }
                symbols.append(id)
                continue
            }
            if let byteIds = byteFallbackIds {
                for byte in String(Character(scalar)).utf8 { symbols.append(byteIds[Int(byte)]) }
                continue
            }
            // Without an unk token the character is dropped, as the Python library does.
            guard let unk = unkId else { continue }
            if pendingUnk && !options.fuseUnk { symbols.append(unk) }
            pendingUnk = true
        }
        if pendingUnk, let unk = unkId { symbols.append(unk) }
        return symbols
    }

    @inline(__always)
    private func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
        merges.value(UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right)))
    }

    /// Quadratic scan; fastest for the short words of a pre-tokenized text.
    private func mergeSmall(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var best = UInt64.max
            var bestIndex = -1
            for i in 0..<(symbols.count - 1) {
                if let value = lookup(symbols[i], symbols[i + 1]), value < best {
                    best = value
                    bestIndex = i
                }
            }
            guard bestIndex >= 0 else { return }
            symbols[bestIndex] = Int32(bitPattern: UInt32(truncatingIfNeeded: best))
            symbols.remove(at: bestIndex + 1)
        }
    }

    /// A heap of candidate merges over a linked list of symbols (HF's `merge_all`):
    /// for whole sentences when there is no pre-tokenizer (Llama-2).
    private func mergeLarge(_ symbols: inout [Int32]) {
        let count = symbols.count
        var ids = symbols
        var previous = (0..<count).map { $0 - 1 }
        var next = (0..<count).map { $0 + 1 < count ? $0 + 1 : -1 }
        var alive = [Bool](repeating: true, count: count)
        var heap = PriorityHeap<MergeCandidate>()
        for i in 0..<(count - 1) {
            if let value = lookup(ids[i], ids[i + 1]) { heap.push(MergeCandidate(rank: value >> 32, position: i, merged: Int32(bitPattern: UInt32(truncatingIfNeeded: value)))) }
        }
        while let top = heap.pop() {
            let i = top.position
            guard alive[i], next[i] >= 0 else { continue }
            let j = next[i]
            guard let value = lookup(ids[i], ids[j]), value >> 32 == top.rank,
                  Int32(bitPattern: UInt32(truncatingIfNeeded: value)) == top.merged else { continue }
            ids[i] = top.merged
            alive[j] = false
            next[i] = next[j]
            if next[j] >= 0 { previous[next[j]] = i }
            if previous[i] >= 0, let left = lookup(ids[previous[i]], ids[i]) {
                heap.push(MergeCandidate(rank: left >> 32, position: previous[i], merged: Int32(bitPattern: UInt32(truncatingIfNeeded: left))))
            }
            if next[i] >= 0, let right = lookup(ids[i], ids[next[i]]) {
                heap.push(MergeCandidate(rank: right >> 32, position: i, merged: Int32(bitPattern: UInt32(truncatingIfNeeded: right))))
            }
        }
        symbols.removeAll(keepingCapacity: true)
        var i = 0
        while i >= 0 && i < count { symbols.append(ids[i]); i = next[i] }
    }
}

/// A candidate merge; the heap yields the lowest rank first, then the leftmost position.
struct MergeCandidate: HeapOrdered {
    var rank: UInt64
    var position: Int
    var merged: Int32

    static func comesFirst(_ a: MergeCandidate, _ b: MergeCandidate) -> Bool {
        a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }
}
