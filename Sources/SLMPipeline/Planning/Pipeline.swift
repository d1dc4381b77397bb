import SLMCore

/// A checked pipeline: every stage resolved against its kind, edges known, in an order
/// where every stage comes after the stages it reads from.
public struct Pipeline: Sendable {
    public var name: String
    /// The pipeline file as given (for messages) and its absolute path.
    public var file: String
    public var absoluteFile: String
    public var params: [String: JSONValue]
    /// Topological order; ties keep the file's order.
    public var stages: [Stage]

    public func stage(named name: String) -> Stage? { stages.first { $0.name == name } }

    /// Every stage downstream of `name` (not including it).
    public func descendants(of name: String) -> Set<String> {
        var result = Set<String>()
        var frontier = [name]
        while let current = frontier.popLast() {
            for stage in stages where stage.upstream.contains(current) && !result.contains(stage.name) {
                result.insert(stage.name)
                frontier.append(stage.name)
            }
        }
        return result
    }

    /// `name` and every stage it depends on, directly or not.
    public func ancestors(ofAndIncluding name: String) -> Set<String> {
        var result: Set<String> = [name]
        var frontier = [name]
        while let current = frontier.popLast() {
            for parent in stage(named: current)?.upstream ?? [] where !result.contains(parent) {
                result.insert(parent)
                frontier.append(parent)
            }
        }
        return result
    }
}

public struct Stage: Sendable {
    public var name: String
    public var kind: any StageKind
    public var location: SourceLocation
    /// Parameters after `${params.…}` substitution and defaults: what the kind runs with.
    public var parameters: [String: JSONValue]
    /// The stage's YAML as written (before substitution), to say "definition changed".
    public var definition: JSONValue
    /// The pipeline params this stage's definition refers to, with their values now.
    public var usedParams: [String: JSONValue]
    public var inputs: [StageInput]
    public var outputs: [StageOutput]
    /// Names of the stages this one reads from.
    public var upstream: Set<String>
    public var parameterLocations: [String: SourceLocation]
}

public struct StageInput: Sendable, Hashable {
    /// The parameter it came from (`deps` for command stages).
    public var parameter: String
    /// Workspace-relative path.
    public var path: String
    /// The stage whose output this is, if any (else a source file of the workspace).
    public var producer: String?
    public var location: SourceLocation
    /// For a stage reference: the one file of that output the stage reads (`ParameterSchema.file`).
    public var file: String? = nil
}

public struct StageOutput: Sendable, Hashable {
    /// For command stages the path itself; for built-in kinds the output's name.
    public var name: String
    /// Workspace-relative path.
    public var path: String
    public var location: SourceLocation
}
