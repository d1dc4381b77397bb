/// Workspace-relative paths as users write them in pipelines, normalised so that
/// `./data/x.txt`, `data//x.txt` and `data/x.txt` are the same path.
enum PathRules {
    /// The normalised path, or a reason it is not a workspace-relative path.
    static func normalise(_ raw: String) -> Result<String, PathProblem> {
        if raw.isEmpty { return .failure(.init("an empty path")) }
        if raw.hasPrefix("/") { return .failure(.init("'\(raw)' is absolute; paths are relative to the workspace")) }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return .failure(.init("'\(raw)' leaves the workspace ('..' is not allowed)")) }
            parts.append(part)
        }
        if parts.isEmpty { return .failure(.init("'\(raw)' names the workspace itself")) }
        if parts[0] == "cache" || parts[0] == "zoo" {
            return .failure(.init("'\(raw)' is inside \(parts[0])/, which slmflow manages itself"))
        }
        return .success(parts.joined(separator: "/"))
    }

    /// Whether `inner` is `outer` or lies inside it.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        inner == outer || inner.hasPrefix(outer + "/")
    }

    struct PathProblem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
