import ArgumentParser
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, with reference tools measured in the same run.",
        subcommands: [Pipeline.self, Storage.self])

    struct Pipeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pipeline", abstract: "Wall time of a fully cached `slmflow run` (the whole process).")
        @Option(help: "Stages in the generated pipeline.") var stages = 50
        @Option(help: "Timed repetitions.") var repetitions = 20
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let result = try PipelineBench(stages: stages, repetitions: repetitions).run()
            if json { return try printJSON(result) }
            print("machine: \(machineDescription())")
            print("first run of \(stages) command stages: \(formatSeconds(result.firstRunSeconds))")
            let cached = result.cachedRun
            print("fully cached run, whole process: median \(milliseconds(cached.median)) (min \(milliseconds(cached.min)), max \(milliseconds(cached.max)), \(repetitions) runs)")
        }
    }

    struct Storage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "storage", abstract: "Hashing and storing a large float32 file, beside sha256sum, openssl and zstd.")
        @Option(name: .customLong("size-mb"), help: "Size of the generated file in MiB.") var sizeMB = 1024
        @Option(help: "Timed repetitions.") var repetitions = 3
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let result = try StorageBench(megabytes: sizeMB, repetitions: repetitions).run()
            if json { return try printJSON(result) }
            print("machine: \(machineDescription())")
            print("file: \(bytes(result.bytes)) of normally distributed float32 values (warm page cache)")
            print("\nhashing (SHA-256), median of \(repetitions):")
            for figure in result.hashing {
                print("  \(figure.tool.padding(toLength: 48, withPad: " ", startingAt: 0)) \(String(format: "%7.0f MB/s", figure.megabytesPerSecond))")
            }
            print("\nstoring, median of \(repetitions):")
            for figure in result.storing {
                let ratio = figure.ratio.map { String(format: "ratio %.3f", $0) } ?? ""
                print("  \(figure.tool.padding(toLength: 48, withPad: " ", startingAt: 0)) \(String(format: "%7.0f MB/s", figure.megabytesPerSecond))  \(ratio)")
            }
        }
    }
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
