import SLMCore

/// How a user names a model: `name`, `name:tag` (tag defaults to `latest`) or
/// `name@sha256:<hex>` (a full digest or a prefix of at least 8 hex digits).
///
/// A name is one or more `/`-separated components of letters, digits, `.`, `_` and `-`,
/// each starting with a letter or digit (so no `..`, no leading `/`, nothing a path could
/// escape with); at most 200 characters. A tag is one such component of at most 128.
public struct ModelReference: Hashable, Sendable, CustomStringConvertible {
    public static let defaultTag = "latest"

    public let name: String
    public let tag: String
    /// Lowercase hex digits of a digest or digest prefix, when the reference pins one.
    public let digestPrefix: String?

    public init(name: String, tag: String = ModelReference.defaultTag) throws {
        try Self.checkName(name, in: name)
        try Self.checkTag(tag, in: name + ":" + tag)
        self.name = name
        self.tag = tag
        digestPrefix = nil
    }

    private init(name: String, tag: String, digestPrefix: String?) {
        self.name = name
        self.tag = tag
        self.digestPrefix = digestPrefix
    }

    public static func parse(_ text: String) throws -> ModelReference {
        guard !text.isEmpty else { throw ZooError.invalidReference(text, "a model reference cannot be empty") }
        guard text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }) else {
            throw ZooError.invalidReference(text, "only printable ASCII without spaces is allowed")
        }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let pinned = rest[rest.index(after: at)...]
            guard pinned.hasPrefix("sha256:") else {
                throw ZooError.invalidReference(text, "after '@' expected sha256:<hex digits>")
            }
            let hex = pinned.dropFirst(7)
            guard hex.count >= 8, hex.count <= 64, hex.allSatisfy(\.isHexDigit) else {
                throw ZooError.invalidReference(text, "a digest needs 8 to 64 hex digits after 'sha256:', got '\(hex)'")
            }
            digest = hex.lowercased()
            rest = rest[..<at]
        }
        var tag = defaultTag
        if let colon = rest.lastIndex(of: ":") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
            try checkTag(tag, in: text)
        }
        let name = String(rest)
        try checkName(name, in: text)
        return ModelReference(name: name, tag: tag, digestPrefix: digest)
    }

    public var description: String {
        var text = name
        if tag != Self.defaultTag || digestPrefix == nil { text += ":" + tag }
        if let digestPrefix { text += "@sha256:" + digestPrefix }
        return text
    }

    /// `name:tag`, always with the tag.
    public var taggedName: String { name + ":" + tag }

    private static func checkName(_ name: String, in text: String) throws {
        guard !name.isEmpty else { throw ZooError.invalidReference(text, "the model name is missing") }
        guard name.count <= 200 else { throw ZooError.invalidReference(text, "the name is longer than 200 characters") }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard isComponent(component) else {
                throw ZooError.invalidReference(text, "name component '\(component)' must start with a letter or digit and hold only letters, digits, '.', '_' and '-'")
            }
        }
    }

    private static func checkTag(_ tag: String, in text: String) throws {
        guard !tag.isEmpty else { throw ZooError.invalidReference(text, "the tag after ':' is empty") }
        guard tag.count <= 128, isComponent(Substring(tag)) else {
            throw ZooError.invalidReference(text, "tag '\(tag)' must be at most 128 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }

    private static func isComponent(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isLetter || first.isNumber else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }
}
