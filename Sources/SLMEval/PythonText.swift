/// Python 3 `str` behaviour that the reference metric scripts depend on, reproduced on
/// Unicode scalars (Python strings are sequences of code points, not grapheme clusters).
/// Every metric in SLMEval tokenises through these helpers so that a Swift score equals
/// the score the Python reference computes for the same text.
enum PythonText {
    /// `str.lower()`: the full Unicode lowercase mapping of each code point, with the one
    /// context rule CPython applies, the final sigma (U+03A3 → ς at the end of a word,
    /// σ elsewhere; CPython's `handle_capital_sigma`).
    static func lower(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar.value == 0x03A3 {
                out.append(isFinalSigma(scalars, at: index) ? "\u{03C2}" : "\u{03C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// CPython: final when a cased letter precedes it and none follows it, skipping
    /// case-ignorable code points on both sides.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return !(after < scalars.count && scalars[after].properties.isCased)
    }

    /// `str.isspace()` for one code point: the Unicode White_Space property plus the four
    /// ASCII separators U+001C–U+001F that CPython also counts (`Py_UNICODE_ISSPACE`).
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(scalar.value) || scalar.properties.isWhitespace
    }

    /// `str.split()` with no separator: runs of whitespace separate, empty pieces dropped.
    static func split(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSpace(scalar) {
                if !current.isEmpty { pieces.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { pieces.append(String(current)) }
        return pieces
    }

    /// `str.split(separator)` for a one-code-point separator: keeps empty pieces. (Swift's
    /// Character split would treat "\r\n" as one character and not split it at "\n".)
    static func split(_ text: String, onScalar separator: Unicode.Scalar) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == separator {
                pieces.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        pieces.append(String(current))
        return pieces
    }

    /// The `\w` class of Python's `re` on str patterns: alphabetic (general category L*),
    /// anything with a numeric value (decimal, digit, numeric), or the underscore.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        if scalar.properties.numericType != nil { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `string.punctuation`: the 32 ASCII punctuation characters.
    static func isASCIIPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: return true
        default: return false
        }
    }
}
