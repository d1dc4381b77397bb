import ArgumentParser
import Foundation
import SLMPipeline

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say which stages are stale and exactly why (a dry run).")

    @OptionGroup var options: PipelineOptions

    @Flag(name: .long, help: "Print one JSON report on stdout.")
    var json = false

    func run() throws {
        let (pipeline, workspace) = try options.load()
        var runOptions = RunOptions()
        runOptions.dryRun = true
        runOptions.machineRate = MachineRates.provider
        let report: RunReport
        do {
            report = try Runner(pipeline: pipeline, workspace: workspace, options: runOptions, observer: nil).run()
        } catch let error as PipelineError {
            throw reportPipelineError(error)
        }
        if json {
            try printJSON(report)
            return
        }
        let width = report.stages.map(\.name.count).max() ?? 0
        for stage in report.stages {
            let name = stage.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let state: String
            switch stage.status {
            case .cached: state = "up to date"
            case .wouldRestore: state = "stale, restorable from cache"
            case .wouldRun: state = "stale"
            case .failed: state = "error"
            case .skipped, .ran: state = stage.status.rawValue
            }
            var line = "\(name)  \(state)"
            if !stage.reasons.isEmpty { line += ": " + stage.reasons.joined(separator: "; ") }
            if let error = stage.error { line += ": " + error }
            print(line)
        }
        EstimateTable.lines(report).forEach { print($0) }
        let stale = report.stages.filter { $0.status != .cached }.count
        print(stale == 0 ? "everything is up to date" : "\(stale) of \(report.stages.count) stages would run or be restored")
    }
}
