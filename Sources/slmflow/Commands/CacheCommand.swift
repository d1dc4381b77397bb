import ArgumentParser
import Foundation
import SLMPipeline

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect and maintain the stage cache (cache/).",
        subcommands: [Usage.self, Collect.self, Verify.self])

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "du", abstract: "How much the cache holds.")
        @OptionGroup var workspace: WorkspaceOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let usage = CacheMaintenance(workspace: workspace.resolved).usage()
            if json { return try printJSON(usage) }
            print("\(usage.blobs) blobs (\(usage.compressedBlobs) zstd-compressed): \(bytes(usage.blobBytes))")
            print("\(usage.runRecords) run records; logs, records and state: \(bytes(usage.otherBytes))")
            if usage.interruptedRuns > 0 {
                print("\(usage.interruptedRuns) interrupted runs' checkpoints (a rerun resumes from them): \(bytes(usage.checkpointBytes))")
            }
            if usage.memoEntries > 0 {
                print("\(usage.memoEntries) memoised results (e.g. evaluate's predictions per model): \(bytes(usage.memoBytes))")
            }
            print("total: \(bytes(usage.totalBytes)) in \(workspace.resolved.cacheRoot)")
        }
    }

    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc", abstract: "Remove blobs no run record needs.",
            discussion: """
                With --keep-only, first forget every run that none of the given pipelines' state points at. \
                With --checkpoints, also remove the checkpoints of interrupted runs (their stages then start over). \
                With --memo, also the memoised results (cache/memo/: e.g. evaluate's predictions of a model it \
                already scored, which later runs then recompute).
                """)
        @OptionGroup var workspace: WorkspaceOptions
        @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Keep only the runs these pipelines use now.", valueName: "pipeline"))
        var keepOnly: [String] = []
        @Flag(name: .long, help: "Also remove interrupted runs' checkpoints (cache/stage-state/).") var checkpoints = false
        @Flag(name: .long, help: "Also remove memoised results (cache/memo/).") var memo = false
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let states = keepOnly.isEmpty ? nil : keepOnly.map { PipelineState.path(forPipeline: $0) }
            if let states {
                for (pipeline, state) in zip(keepOnly, states) where !FileManager.default.fileExists(atPath: state) {
                    throw ValidationError("'\(pipeline)' has no state file (\(state)): run it first, or leave it out")
                }
            }
            let maintenance = CacheMaintenance(workspace: workspace.resolved)
            let report = try maintenance.collect(keepOnly: states, checkpoints: checkpoints, memo: memo) { printError($0) }
            if json { return try printJSON(report) }
            print("removed \(report.removedBlobs) blobs (\(bytes(report.removedBytes))) and \(report.removedRunRecords) run records; kept \(report.keptBlobs) blobs")
            if checkpoints {
                print("removed the checkpoints of \(report.removedCheckpoints) interrupted runs (\(bytes(report.removedCheckpointBytes)))")
            }
            if memo { print("removed \(report.removedMemoEntries) memoised results (\(bytes(report.removedMemoBytes)))") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Re-hash every blob; remove corrupt ones (their stages rerun).")
        @OptionGroup var workspace: WorkspaceOptions
        @Flag(name: .long, help: "Print JSON.") var json = false

        func run() throws {
            let report = CacheMaintenance(workspace: workspace.resolved).verify()
            if json {
                try printJSON(report)
            } else {
                for digest in report.corrupt { print("corrupt: blob \(digest) (removed)") }
                for key in report.incompleteRuns { print("incomplete: run \(key.prefix(12)) lacks a blob; its stage will rerun") }
                print("\(report.checked) blobs checked, \(report.corrupt.count) corrupt")
            }
            if !report.corrupt.isEmpty { throw ExitCode(1) }
        }
    }
}

func bytes(_ count: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count), unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
}
