/// GPT-2's pre-tokenizer pattern, matched by hand over Unicode scalars:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `\s` is Unicode White_Space, `\p{L}` and `\p{N}` the general categories, as in
/// Oniguruma (which the Python `tokenizers` library uses). Alternatives are tried in order
/// at each position, like a backtracking regex engine.
public enum GPT2Splitter {
    enum Class: UInt8 { case letter, number, space, other }

    private static let asciiClasses: [Class] = (0..<128).map { code in
        let scalar = Unicode.Scalar(UInt8(code))
        return classify(slow: scalar)
    }

    static func classify(slow scalar: Unicode.Scalar) -> Class {
        if scalar.properties.isWhitespace { return .space }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    @inline(__always)
    static func classify(_ scalar: Unicode.Scalar) -> Class {
        scalar.value < 128 ? asciiClasses[Int(scalar.value)] : classify(slow: scalar)
    }

    /// The pieces of `scalars` as half-open index ranges, in order, covering everything.
    public static func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let count = scalars.count
        var classes = [Class](repeating: .other, count: count)
        for i in 0..<count { classes[i] = classify(scalars[i]) }
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(count / 4 + 1)
        var i = 0
        while i < count {
            let end = matchEnd(at: i, scalars, classes)
            pieces.append(i..<end)
            i = end
        }
        return pieces
    }

    private static func matchEnd(at i: Int, _ s: [Unicode.Scalar], _ classes: [Class]) -> Int {
        let count = s.count
        if s[i] == "'", i + 1 < count {
            switch s[i + 1] {
            case "s", "t", "m", "d": return i + 2
            case "r", "v":
                if i + 2 < count, s[i + 2] == "e" { return i + 3 }
            case "l":
                if i + 2 < count, s[i + 2] == "l" { return i + 3 }
            default: break
            }
        }
        // ' ?X+' for X in letters, numbers, others: an optional literal space first.
        var start = i
        if s[i] == " ", i + 1 < count, classes[i + 1] != .space { start = i + 1 }
        let run = classes[start]
        if run != .space {
            var end = start + 1
            while end < count, classes[end] == run { end += 1 }
            return end
        }
        // Whitespace: \s+(?!\S), falling back to \s+.
        var end = i + 1
        while end < count, classes[end] == .space { end += 1 }
        if end == count { return end }
        if end - 1 > i { return end - 1 }
        return end
    }
}
