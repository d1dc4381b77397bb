import ArgumentParser
import Foundation
import SLMCore
import SLMPipeline
import SLMStages

/// Options every workspace command takes.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The workspace folder (default: $SLMFLOW_WORKSPACE, else the current folder).", valueName: "dir"))
    var workspace: String?

    var resolved: Workspace { Workspace.resolve(workspace) }
}

/// Options of commands that read a pipeline.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pipeline file, e.g. pipelines/quickstart.yaml.")
    var pipeline: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a pipeline param (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @OptionGroup var workspaceOptions: WorkspaceOptions

    /// Loads and checks the pipeline; on problems prints them with source excerpts and exits 2.
    func load() throws -> (Pipeline, Workspace) {
        let workspace = workspaceOptions.resolved
        var pairs: [(String, String)] = []
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw ValidationError("--set expects key=value, got '\(override)'")
            }
            pairs.append((String(override[..<equals]), String(override[override.index(after: equals)...])))
        }
        let loader = PipelineLoader(registry: StageKinds.registry, workspace: workspace.root)
        do {
            return (try loader.load(pipeline, overrides: pairs), workspace)
        } catch let error as PipelineError {
            throw reportPipelineError(error)
        }
    }
}

/// Prints a pipeline error (with the source lines it points at) and gives the exit code.
func reportPipelineError(_ error: PipelineError) -> ExitCode {
    let text = error.rendered { file in
        let path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
        return FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
    }
    printError(text)
    return ExitCode(2)
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func printJSON<T: Encodable>(_ value: T) throws {
    FileHandle.standardOutput.write(try JSONFiles.encode(value))
}

/// The stage kinds this build of slmflow knows.
enum StageKinds {
    static var registry: StageKindRegistry {
        var registry = StageKindRegistry.core
        for kind in SLMStages.kinds { registry.register(kind) }
        return registry
    }
}
