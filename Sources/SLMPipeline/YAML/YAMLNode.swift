/// A YAML document as a tree whose every node remembers where it was written.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        /// `plain` scalars are typed by the YAML 1.2 core schema; quoted ones are strings.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        /// Keys keep their order and their own nodes (for locations).
        case mapping([(key: YAMLNode, value: YAMLNode)])
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    public var kindName: String {
        switch content {
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [(key: YAMLNode, value: YAMLNode)]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// The value under a string key of a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalarText == key }?.value
    }
}

/// A scalar's value under the YAML 1.2 core schema (what `name: 3` or `lr: 3e-4` mean).
public enum YAMLScalar: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    public static func resolve(_ text: String, plain: Bool) -> YAMLScalar {
        guard plain else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        if let value = integer(text) { return .int(value) }
        if looksNumeric(text), let value = Double(text) { return .double(value) }
        return .string(text)
    }

    private static func integer(_ text: String) -> Int64? {
        if text.hasPrefix("0x") { return Int64(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("0o") { return Int64(text.dropFirst(2), radix: 8) }
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int64(text)
    }

    /// The core schema's float pattern: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    private static func looksNumeric(_ text: String) -> Bool {
        var chars = Substring(text)
        if chars.first == "+" || chars.first == "-" { chars = chars.dropFirst() }
        var sawDigit = false, sawDot = false, sawExponent = false
        var previous: Character = " "
        for c in chars {
            if c.isASCII && c.isNumber {
                sawDigit = true
            } else if c == "." && !sawDot && !sawExponent {
                sawDot = true
            } else if (c == "e" || c == "E") && sawDigit && !sawExponent {
                sawExponent = true
            } else if (c == "+" || c == "-") && (previous == "e" || previous == "E") {
            } else {
                return false
            }
            previous = c
        }
        return sawDigit && !(previous == "e" || previous == "E" || previous == "+" || previous == "-")
    }
}
