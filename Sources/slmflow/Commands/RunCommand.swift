import ArgumentParser
import Foundation
import SLMPipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: only the stages whose inputs changed.",
        discussion: """
            Each stage is up to date, restored from cache/, or run; independent stages run in parallel. \
            Exit status: 0 when every stage succeeded, 1 when a stage failed, 2 when the pipeline is invalid.
            """)

    @OptionGroup var options: PipelineOptions

    @Flag(name: .long, help: "Say what would run and why; change nothing.")
    var dryRun = false

    @Option(name: .long, help: ArgumentHelp("Run this stage even if it is cached (repeatable).", valueName: "stage"))
    var force: [String] = []

    @Option(name: .long, help: ArgumentHelp("Run only this stage and the stages it depends on.", valueName: "stage"))
    var until: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("How many stages may run at once (default: the number of cores).", valueName: "n"))
    var jobs: Int?

    @Flag(name: .long, help: "Print one JSON report on stdout.")
    var json = false

    @Flag(name: .long, help: "Fail instead of waiting when another process runs this pipeline.")
    var noWait = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        let (pipeline, workspace) = try options.load()
        var runOptions = RunOptions()
        runOptions.dryRun = dryRun
        runOptions.force = Set(force)
        runOptions.until = until
        runOptions.noWait = noWait
        runOptions.machineRate = MachineRates.provider
        if let jobs { runOptions.jobs = jobs }
        let report: RunReport
        do {
            let runner = try Runner(pipeline: pipeline, workspace: workspace, options: runOptions, observer: TerminalReporter(workspaceRoot: workspace.root))
            report = try runner.run()
        } catch let error as PipelineError {
            throw reportPipelineError(error)
        }
        if json { try printJSON(report) }
        if !report.succeeded { throw ExitCode(1) }
    }
}
