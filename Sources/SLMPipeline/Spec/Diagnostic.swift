import Foundation

/// One problem found in a pipeline, located where a person can fix it.
public struct Diagnostic: Sendable, CustomStringConvertible {
    public var location: SourceLocation?
    public var message: String
    /// What to do about it, e.g. "did you mean 'outs'?".
    public var hint: String?

    public init(_ message: String, at location: SourceLocation?, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        let prefix = location.map { "\($0): " } ?? ""
        return prefix + "error: " + message + (hint.map { " (\($0))" } ?? "")
    }
}

/// All the problems found in one pipeline. Rendered like a compiler's errors, with the
/// offending source line and a caret under the column.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        diagnostics = [Diagnostic(message, at: location, hint: hint)]
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// The diagnostics with source excerpts, for a terminal.
    public func rendered(source: (String) -> String?) -> String {
        var out: [String] = []
        for diagnostic in diagnostics {
            out.append(diagnostic.description)
            guard let location = diagnostic.location, let text = source(location.file) else { continue }
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            guard location.line >= 1, location.line <= lines.count else { continue }
            let line = String(lines[location.line - 1])
            out.append("    " + line)
            let caretOffset = min(max(location.column - 1, 0), line.count)
            out.append("    " + String(repeating: " ", count: caretOffset) + "^")
        }
        return out.joined(separator: "\n")
    }
}

/// "did you mean 'outs'?" when a known word is close to the one written.
func suggestion(for word: String, in candidates: some Sequence<String>) -> String? {
    nearest(to: word, in: candidates).map { "did you mean '\($0)'?" }
}

import SLMCore
