/// Errors of the zoo, each naming what it is about and what was expected.
public enum ZooError: Error, CustomStringConvertible, Sendable {
    case invalidReference(String, String)
    case notFound(String, suggestions: [String])
    case ambiguous(String, [String])
    case invalidInput(path: String, String)
    case corrupt(String)
    case exists(String)

    public var description: String {
        switch self {
        case .invalidReference(let text, let why): "invalid model reference '\(text)': \(why)"
        case .notFound(let text, let suggestions):
            "no model '\(text)' in the zoo" + (suggestions.isEmpty ? "" : " (did you mean \(suggestions.joined(separator: ", "))?)")
        case .ambiguous(let text, let matches): "'\(text)' matches several models: \(matches.joined(separator: ", "))"
        case .invalidInput(let path, let why): "\(path): \(why)"
        case .corrupt(let why): why
        case .exists(let what): "\(what) already exists"
        }
    }
}
