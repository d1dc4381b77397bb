/// A token added on top of the model's vocabulary (tokenizer.json `added_tokens`): matched
/// in the text before the model runs, never split.
public struct AddedToken: Sendable, Equatable {
    public var id: Int32
    public var content: String
    public var singleWord = false
    public var lstrip = false
    public var rstrip = false
    /// Matched in the normalized text (true) or the raw text (false).
    public var normalized = true
    public var special = false

    public init(id: Int32, content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = true, special: Bool = false) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }
}

/// A piece of input after added tokens are cut out: text for the model, or a token.
enum Segment {
    case text(String)
    case token(Int32)
}

/// Leftmost-longest matching of added tokens with a byte trie, with HF's lstrip, rstrip and
/// single-word rules.
struct AddedTokenMatcher: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        var token: Int32 = -1
    }
    private var nodes = [Node()]
    private var tokens: [AddedToken] = []

    init(_ tokens: [AddedToken]) {
        for token in tokens where !token.content.isEmpty { insert(token) }
    }

    var isEmpty: Bool { tokens.isEmpty }

    private mutating func insert(_ token: AddedToken) {
        var node = 0
        for byte in token.content.utf8 {
            if let child = nodes[node].children[byte] {
                node = Int(child)
            } else {
                nodes.append(Node())
                nodes[node].children[byte] = Int32(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        if nodes[node].token < 0 {
            nodes[node].token = Int32(tokens.count)
            tokens.append(token)
        }
    }

    /// Cuts `text` into text and token segments; text segments may be empty-free.
    func split(_ text: String) -> [Segment] {
        guard !tokens.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var segments: [Segment] = []
        var textStart = 0
        var previousStop = 0
        var position = 0
        while position < bytes.count {
            guard let (index, end) = longestMatch(bytes, at: position) else { position += 1; continue }
            let token = tokens[index]
            var start = position
            var stop = end
            if token.singleWord {
                let before = start == 0 ? nil : Self.lastScalar(bytes[..<start])
                let after = stop == bytes.count ? nil : Self.firstScalar(bytes[stop...])
                if before.map(PreTokenizer.isWordScalar) == true || after.map(PreTokenizer.isWordScalar) == true {
                    position += 1
                    continue
                }
            }
            if token.lstrip {
                while start > previousStop, let scalar = Self.lastScalar(bytes[previousStop..<start]), scalar.properties.isWhitespace {
                    start -= String(Character(scalar)).utf8.count
                }
            }
            if token.rstrip {
                while stop < bytes.count, let scalar = Self.firstScalar(bytes[stop...]), scalar.properties.isWhitespace {
                    stop += String(Character(scalar)).utf8.count
                }
            }
            if start > textStart { segments.append(.text(String(decoding: bytes[textStart..<start], as: UTF8.self))) }
            segments.append(.token(token.id))
            textStart = stop
            previousStop = stop
            position = max(end, stop)
        }
        if textStart < bytes.count { segments.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        return segments
    }

    private func longestMatch(_ bytes: [UInt8], at start: Int) -> (Int, Int)? {
        var node = 0
        var best: (Int, Int)?
        var i = start
        while i < bytes.count, let child = nodes[node].children[bytes[i]] {
            node = Int(child)
            i += 1
            if nodes[node].token >= 0 { best = (Int(nodes[node].token), i) }
        }
        return best
    }

    private static func lastScalar(_ bytes: ArraySlice<UInt8>) -> Unicode.Scalar? {
        var start = bytes.endIndex - 1
        while start > bytes.startIndex, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= bytes.startIndex else { return nil }
        return String(decoding: bytes[start...], as: UTF8.self).unicodeScalars.first
    }

    private static func firstScalar(_ bytes: ArraySlice<UInt8>) -> Unicode.Scalar? {
        var end = bytes.startIndex + 1
        while end < bytes.endIndex, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self).unicodeScalars.first
    }
}
