/// The pre-tokenizers of HF `tokenizers` that slmflow implements (tokenizer.json
/// `pre_tokenizer`): they cut a normalized segment into the words the model sees.
public indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// GPT-2's byte-level step: optional prefix space, the GPT-2 regex split, bytes mapped
    /// to the printable alphabet.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    case bert
    /// `\w+|[^\w\s]+`
    case whitespace
    case whitespaceSplit
    case digits(individual: Bool)
    case metaspace(replacement: String, prependAlways: Bool, split: Bool)

    public func split(_ text: String) -> [String] { apply([text], isFirstSegment: true) }

    func apply(_ pieces: [String], isFirstSegment: Bool) -> [String] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.apply($0, isFirstSegment: isFirstSegment) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            var out: [String] = []
            for piece in pieces {
                let text = addPrefixSpace && !piece.hasScalarPrefix(" ") ? " " + piece : piece
                let scalars = Array(text.unicodeScalars)
                let bytes = Array(text.utf8)
                let offsets = ScalarOffsets.utf8Offsets(scalars)
                let ranges = useRegex ? GPT2Splitter.split(scalars) : [0..<scalars.count]
                for range in ranges where !range.isEmpty {
                    out.append(Self.byteLevelMapped(bytes[offsets[range.lowerBound]..<offsets[range.upperBound]]))
                }
            }
            return out
        case .bert:
            return pieces.flatMap { Self.cut($0, dropping: { $0.properties.isWhitespace }, isolating: Self.isBertPunctuation) }
        case .whitespace:
            return pieces.flatMap { Self.runs($0, classify: { scalar -> Int? in
                if scalar.properties.isWhitespace { return nil }
                return Self.isWordScalar(scalar) ? 0 : 1
            }) }
        case .whitespaceSplit:
            return pieces.flatMap { Self.runs($0, classify: { $0.properties.isWhitespace ? nil : 0 }) }
        case .digits(let individual):
            return pieces.flatMap { piece in
                individual
                    ? Self.cut(piece, dropping: { _ in false }, isolating: Self.isNumeric)
                    : Self.runs(piece, classify: { Self.isNumeric($0) ? 0 : 1 })
            }
        case .metaspace(let replacement, let prependAlways, let split):
            var out: [String] = []
            for piece in pieces {
                var text = piece.replacingAll(" ", with: replacement)
                if prependAlways, !text.hasScalarPrefix(replacement) { text = replacement + text }
                out.append(contentsOf: split ? Self.mergedWithNext(text, delimiter: replacement) : [text])
            }
            return out
        }
    }

    static func byteLevelMapped(_ bytes: ArraySlice<UInt8>) -> String {
        var mapped = String.UnicodeScalarView()
        for byte in bytes { mapped.append(ByteLevelAlphabet.scalarForByte[Int(byte)]) }
        return String(mapped)
    }

    /// Splits on scalars to drop and isolates scalars to isolate (BERT's punctuation).
    static func cut(_ text: String, dropping: (Unicode.Scalar) -> Bool, isolating: (Unicode.Scalar) -> Bool) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if dropping(scalar) || isolating(scalar) {
                if !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() }
                if !dropping(scalar) { out.append(String(Character(scalar))) }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { out.append(String(current)) }
        return out
    }

    /// Maximal runs of scalars of the same class; scalars of class nil are dropped.
    static func runs(_ text: String, classify: (Unicode.Scalar) -> Int?) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var currentClass: Int?
        for scalar in text.unicodeScalars {
            let kind = classify(scalar)
            if kind != currentClass || kind == nil {
                if !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() }
            }
            currentClass = kind
            if kind != nil { current.append(scalar) }
        }
        if !current.isEmpty { out.append(String(current)) }
        return out
    }

    static func mergedWithNext(_ text: String, delimiter: String) -> [String] {
        guard let mark = delimiter.unicodeScalars.first else { return [text] }
        var out: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == mark, !current.isEmpty { out.append(String(current)); current = String.UnicodeScalarView() }
            current.append(scalar)
        }
        if !current.isEmpty { out.append(String(current)) }
        return out
    }

    /// Rust's `char::is_numeric`: general categories Nd, Nl, No.
    static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isBertPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .closePunctuation, .finalPunctuation,
             .initialPunctuation, .otherPunctuation, .openPunctuation:
            return true
        default: return false
        }
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
