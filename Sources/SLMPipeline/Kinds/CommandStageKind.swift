import Foundation
import SLMCore

/// `kind: command`: runs an argv list in the workspace (or `wdir`), with declared `deps`
/// and `outs`. stdout and stderr go to the stage's log; a non-zero exit, or a declared
/// out that was not produced, fails the stage.
public struct CommandStageKind: StageKind {
    public init() {}

    public let name = "command"
    public let version = 1
    public let summary = "run a program; declared deps and outs"
    public let parameters: [ParameterSchema] = [
        ParameterSchema("cmd", .list(.string), required: true, help: "the argv list, e.g. [sh, -c, \"seq 3 > n.txt\"]"),
        ParameterSchema("deps", .list(.inputPath), default: [], help: "files or folders the command reads"),
        ParameterSchema("outs", .list(.outputPath), default: [], help: "files or folders the command writes"),
        ParameterSchema("env", .map(.string), default: [:], help: "extra environment variables"),
        ParameterSchema("wdir", .string, default: ".", help: "working folder, relative to the workspace"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        if let cmd = parameters["cmd"]?.arrayValue, cmd.isEmpty || cmd[0].stringValue?.isEmpty == true {
            problems.append(Diagnostic("'cmd' must name a program to run", at: locations["cmd"]))
        }
        if let wdir = parameters["wdir"]?.stringValue, wdir != "." {
            if case .failure(let problem) = PathRules.normalise(wdir) {
                problems.append(Diagnostic("'wdir': \(problem.message)", at: locations["wdir"]))
            }
        }
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        let argv = invocation.parameters["cmd"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in invocation.parameters["env"]?.objectValue ?? [:] {
            environment[key] = value.displayText
        }
        environment["SLMFLOW_STAGE"] = invocation.stage
        environment["SLMFLOW_PIPELINE"] = invocation.pipeline
        environment["SLMFLOW_WORKSPACE"] = invocation.workspace
        let wdir = invocation.parameters["wdir"]?.stringValue ?? "."
        let folder = wdir == "." ? invocation.workspace : invocation.absolute(wdir)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)

        let termination = try Subprocess.run(argv, in: folder, environment: environment, logPath: invocation.logPath)
        guard termination.succeeded else {
            throw StageFailure("command \(termination.summary): \(argv.joined(separator: " "))")
        }
        return StageOutcome(peakMemoryKB: termination.peakMemoryKB)
    }
}
