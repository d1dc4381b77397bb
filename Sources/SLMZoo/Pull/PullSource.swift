import Foundation
import SLMCore

/// What `slmflow zoo pull SOURCE` was asked for.
public enum PullSource: Sendable, Equatable {
    /// An http(s) or file URL of one file.
    case url(String)
    /// `hf://org/repo[@revision]`.
    case huggingFace(repository: String, revision: String)
    /// A name in the catalog.
    case catalog(String)

    public static func parse(_ text: String) throws -> PullSource {
        let lower = text.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("file://") { return .url(text) }
        if lower.hasPrefix("hf://") {
            var rest = String(text.dropFirst(5))
            var revision = "main"
            if let at = rest.lastIndex(of: "@") {
                revision = String(rest[rest.index(after: at)...])
                rest = String(rest[..<at])
            }
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            let valid = parts.count == 2 && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".." && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
            }
            guard valid else { throw ZooError.invalidReference(text, "expected hf://organisation/repository[@revision]") }
            guard !revision.isEmpty, revision.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ZooError.invalidReference(text, "the revision after '@' must be a branch, tag or commit (letters, digits, '-', '_', '.')")
            }
            return .huggingFace(repository: rest, revision: revision)
        }
        if text.contains("://") { throw ZooError.invalidReference(text, "supported schemes are https, http, file and hf") }
        return .catalog(text)
    }
}
