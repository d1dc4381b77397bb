import SLMCore

/// `${params.NAME}` substitution inside stage definitions. A string that is exactly one
/// reference takes the parameter's typed value (so `steps: ${params.steps}` stays an
/// integer); elsewhere the value is spliced in as text. `$${` writes a literal `${`.
struct Interpolator {
    let params: [String: JSONValue]
    /// The params any substitution used, with their values.
    private(set) var used: [String: JSONValue] = [:]

    init(params: [String: JSONValue]) { self.params = params }

    mutating func substitute(_ text: String, at location: SourceLocation) -> Result<JSONValue, PipelineError> {
        guard text.contains("${") else { return .success(.string(text)) }
        var output = ""
        var single: JSONValue?
        var pieces = 0
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex && rest[rest.index(before: start.lowerBound)] == "$" {
                output += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                pieces += 2
                continue
            }
            output += rest[..<start.lowerBound]
            if start.lowerBound > rest.startIndex { pieces += 1 }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                return .failure(PipelineError("unterminated '${' in '\(text)'", at: location, hint: "write ${params.NAME}"))
            }
            let reference = rest[start.upperBound..<end].trimmingCharacters(in: .whitespaces)
            guard reference.hasPrefix("params.") else {
                return .failure(PipelineError(
                    "cannot resolve '${\(reference)}'", at: location, hint: "only ${params.NAME} can be substituted"))
            }
            let name = String(reference.dropFirst("params.".count))
            guard let value = params[name] else {
                let known = params.keys.sorted()
                let hint = suggestion(for: name, in: known)
                    ?? (known.isEmpty ? "the pipeline has no params" : "params are: " + known.joined(separator: ", "))
                return .failure(PipelineError("unresolved '${\(reference)}': no param '\(name)'", at: location, hint: hint))
            }
            used[name] = value
            single = value
            output += value.displayText
            pieces += 1
            rest = rest[rest.index(after: end)...]
        }
        if !rest.isEmpty { pieces += 1 }
        output += rest
        if pieces == 1, let single { return .success(single) }
        return .success(.string(output))
    }
}
