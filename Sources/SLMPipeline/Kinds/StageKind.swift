import Foundation
import SLMCore

/// A kind of stage (`command`, and the ML kinds `train`, `distill`, … registered by SLMStages).
///
/// A kind declares its typed parameters; the planner checks a stage's YAML against them,
/// turns `inputPath`/`stageOutput` parameters into DAG edges and key inputs, and
/// `outputPath` parameters and `fixedOutputs` into the stage's outputs.
public protocol StageKind: Sendable {
    var name: String { get }
    /// Bump when the kind's behaviour changes: every stage of this kind then reruns.
    var version: Int { get }
    var summary: String { get }
    var parameters: [ParameterSchema] { get }
    /// Outputs the kind always writes, placed at `out/<pipeline>/<stage>/<name>`.
    var fixedOutputs: [String] { get }
    /// The output a bare reference (`data: tok`) means when the kind has several.
    var primaryOutput: String? { get }
    /// Checks beyond types (a non-empty command, a positive step count, …).
    func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic]
    func run(_ invocation: StageInvocation) throws -> StageOutcome
    /// What running the stage would cost (dry runs and `status`); nil when the kind cannot say.
    func estimate(_ context: EstimateContext) -> StageEstimate?
}

extension StageKind {
    public var fixedOutputs: [String] { [] }
    public var primaryOutput: String? { nil }
    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] { [] }
    public func estimate(_ context: EstimateContext) -> StageEstimate? { nil }
}

/// What a stage's run function gets: resolved parameters and absolute paths.
public struct StageInvocation: Sendable {
    public let pipeline: String
    public let stage: String
    public let key: Digest
    /// Absolute path of the workspace root; stage paths are relative to it.
    public let workspace: String
    public let parameters: [String: JSONValue]
    /// For every `inputPath`/`stageOutput` parameter, the absolute paths it names (a list
    /// parameter gives several).
    public let inputs: [String: [String]]
    /// For every output name, its absolute path.
    public let outputs: [String: String]
    /// A folder that survives kills and reruns of this exact key (checkpoints live here).
    public let stateDirectory: String
    /// Where the stage writes its log; command stages send the child's stdout and stderr here.
    public let logPath: String
    /// Run with `--force`: recompute what the kind would otherwise reuse (`StageMemo`).
    public let forced: Bool
    /// Reports a one-line, transient progress message (e.g. "step 120/400 loss 1.93"); a
    /// terminal shows the latest, a log or pipe gets them at a bounded rate.
    public let progress: @Sendable (String) -> Void
    /// Reports a line that is always shown (e.g. "resuming from step 150").
    public let notice: @Sendable (String) -> Void

    public func absolute(_ relative: String) -> String { workspace + "/" + relative }
    /// `path` relative to the workspace when it lies inside it, else as given.
    public func relative(_ path: String) -> String {
        path.hasPrefix(workspace + "/") ? String(path.dropFirst(workspace.count + 1)) : path
    }
}

/// What a stage reports back beyond its files.
public struct StageOutcome: Sendable {
    public var metrics: [String: JSONValue]
    public var peakMemoryKB: Int?

    public init(metrics: [String: JSONValue] = [:], peakMemoryKB: Int? = nil) {
        self.metrics = metrics
        self.peakMemoryKB = peakMemoryKB
    }
}

/// A stage failure with a message for people (and the log to read).
public struct StageFailure: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The stage kinds a pipeline may use, by name.
public struct StageKindRegistry: Sendable {
    private var kinds: [String: any StageKind] = [:]

    public init(_ kinds: [any StageKind] = []) {
        for kind in kinds { register(kind) }
    }

    /// The registry with the kinds the pipeline core itself ships (`command`).
    public static var core: StageKindRegistry { StageKindRegistry([CommandStageKind()]) }

    public mutating func register(_ kind: any StageKind) { kinds[kind.name] = kind }

    public func kind(named name: String) -> (any StageKind)? { kinds[name] }
    public var names: [String] { kinds.keys.sorted() }
}
