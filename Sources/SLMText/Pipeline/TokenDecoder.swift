/// Turns tokens back into text (tokenizer.json `decoder`): each step maps the token list,
/// and the result is joined.
public indirect enum TokenDecoder: Sendable {
    case sequence([TokenDecoder])
    case byteLevel
    case replace(pattern: String, content: String)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case wordPiece(prefix: String, cleanup: Bool)
    case metaspace(replacement: Unicode.Scalar, stripFirst: Bool)

    public func decode(_ tokens: [String]) -> String { decodeChain(tokens).joined() }

    func decodeChain(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(tokens) { $1.decodeChain($0) }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens {
                var mapped: [UInt8] = []
                var complete = true
                for scalar in token.unicodeScalars {
                    guard let byte = ByteLevelAlphabet.byteForScalar[scalar.value] else { complete = false; break }
                    mapped.append(byte)
                }
                bytes.append(contentsOf: complete ? mapped : Array(token.utf8))
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .replace(let pattern, let content):
            return tokens.map { $0.replacingAll(pattern, with: content) }
        case .byteFallback:
            var out: [String] = []
            var pending: [UInt8] = []
            func flush() {
                guard !pending.isEmpty else { return }
                if let text = String(validating: pending, as: UTF8.self) {
                    out.append(text)
                } else {
                    out.append(contentsOf: Array(repeating: "\u{FFFD}", count: pending.count))
                }
                pending.removeAll()
            }
            for token in tokens {
                if let byte = Self.fallbackByte(token) { pending.append(byte); continue }
                flush()
                out.append(token)
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                var scalars = Array(token.unicodeScalars)[...]
                var removed = 0
                while removed < start, scalars.first == content { scalars.removeFirst(); removed += 1 }
                removed = 0
                while removed < stop, scalars.last == content { scalars.removeLast(); removed += 1 }
                return String(String.UnicodeScalarView(scalars))
            }
        case .wordPiece(let prefix, let cleanup):
            return tokens.enumerated().map { index, token in
                var text = token
                if index != 0 {
                    if text.hasScalarPrefix(prefix) { text = text.droppingScalarPrefix(prefix) } else { text = " " + text }
                }
                return cleanup ? Self.cleanup(text) : text
            }
        case .metaspace(let replacement, let stripFirst):
            return tokens.enumerated().map { index, token in
                var out = String.UnicodeScalarView()
                for (position, scalar) in token.unicodeScalars.enumerated() {
                    if scalar == replacement {
                        if index == 0 && position == 0 && stripFirst { continue }
                        out.append(" ")
                    } else {
                        out.append(scalar)
                    }
                }
                return String(out)
            }
        }
    }

    static func fallbackByte(_ token: String) -> UInt8? {
        let bytes = Array(token.utf8)
        guard bytes.count == 6, bytes[0] == 0x3C, bytes[1] == 0x30, bytes[2] == 0x78, bytes[5] == 0x3E else { return nil }
        return UInt8(String(decoding: bytes[3...4], as: UTF8.self), radix: 16)
    }

    /// BERT's clean-up of spaces before punctuation and contractions.
    static func cleanup(_ text: String) -> String {
        var out = text
        for (dirty, clean) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                               (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            out = out.replacingAll(dirty, with: clean)
        }
        return out
    }
}
