import SLMCore

/// The type of one parameter of a stage kind. Paths and stage references are types of
/// their own because the planner turns them into DAG edges and key inputs.
public indirect enum ParameterType: Sendable, CustomStringConvertible {
    case string
    case integer
    case number
    case boolean
    /// Any JSON-like value, checked by the kind itself.
    case any
    case list(ParameterType)
    /// A mapping with string keys.
    case map(ParameterType)
    /// A workspace-relative file or folder the stage reads; its content digest is part of the key.
    case inputPath
    /// A workspace-relative file or folder the stage writes.
    case outputPath
    /// Another stage's output: `stage` or `stage.output`.
    case stageOutput

    public var description: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "true or false"
        case .any: return "a value"
        case .list(let element): return "a list of \(element.plural)"
        case .map(let element): return "a mapping of names to \(element.plural)"
        case .inputPath: return "a workspace-relative path"
        case .outputPath: return "a workspace-relative path"
        case .stageOutput: return "a stage name (or stage.output)"
        }
    }

    var plural: String {
        switch self {
        case .string: return "strings"
        case .integer: return "integers"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case .any: return "values"
        case .list: return "lists"
        case .map: return "mappings"
        case .inputPath, .outputPath: return "paths"
        case .stageOutput: return "stage references"
        }
    }
}

public struct ParameterSchema: Sendable {
    public var name: String
    public var type: ParameterType
    public var required: Bool
    public var defaultValue: JSONValue?
    public var help: String
    /// For a `stageOutput`: the one file inside the referenced output that the stage reads.
    /// Only that file's digest enters the key, so the stage is not rerun when the rest of the
    /// output changes (a baseline sized like a Mu reads the Mu's config.json, not its weights).
    public var file: String?

    public init(_ name: String, _ type: ParameterType, required: Bool = false, default defaultValue: JSONValue? = nil,
                file: String? = nil, help: String) {
        self.name = name
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.file = file
        self.help = help
    }
}
