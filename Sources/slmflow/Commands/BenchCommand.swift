import ArgumentParser
import Foundation
import SLMTensor

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, with reference tools measured in the same run.",
        subcommands: [Pipeline.self, Storage.self, Train.self, Infer.self])

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

extension BenchCommand {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train",
            abstract: "Training tokens/s (forward, backward, AdamW) of Mu 4+2 and the equal-size decoder-only baseline.",
            discussion: "Width 256, 4 query / 2 KV heads, qkv 256, MLP 1024, vocab 8192. PyTorch: scripts/bench/engine_bench.py.")
        @Option var batch = 16
        @Option var source = 256
        @Option var target = 32
        @Option(help: "Timed optimizer steps (median reported).") var steps = 5
        @Option(help: "Dropout during training (the seed trains with 0.1).") var dropout: Float = 0.1
        @OptionGroup var engine: EngineThreads
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            engine.apply()
            let r = try EngineBench.train(batch: batch, source: source, target: target, steps: steps, dropout: dropout)
            if json { return try printJSON(r) }
            print("machine: \(r.machine); threads \(r.threads); sgemm peak \(String(format: "%.0f", r.sgemmPeakGflops)) GFLOP/s")
            print("batch \(r.batch), source \(r.source), target \(r.target), dropout \(r.dropout); median of \(steps) steps")
            for f in r.figures {
                print("  \(f.model.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(format: "%9.0f", f.tokensPerSecond)) tokens/s  step \(milliseconds(f.stepSeconds.median))  \(String(format: "%.0f GFLOP/s (%.0f%% of sgemm)", f.gflopPerSecond, 100 * f.shareOfSgemmPeak))  peak \(bytes(f.peakMemoryBytes))  \(f.parameters) params")
            }
        }
    }

    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "infer",
            abstract: "Batch-1 first-token latency and decode tokens/s over input lengths, Mu 4+2 vs the decoder-only baseline.")
        @Option(help: "Comma-separated input lengths.") var lengths = "64,128,256,512,1024,2048"
        @Option(name: .customLong("new-tokens"), help: "Decoded tokens after the first.") var newTokens = 64
        @Option(help: "Timed repetitions (median reported).") var repetitions = 5
        @Flag(name: .customLong("large"), help: "Also the 330M Mu (parameter count, memory, decode rate).") var large = false
        @OptionGroup var engine: EngineThreads
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            engine.apply()
            let list = try lengths.split(separator: ",").map { s -> Int in
                guard let n = Int(s.trimmingCharacters(in: .whitespaces)), n > 0 else { throw ValidationError("bad length '\(s)'") }
                return n
            }
            let r = try EngineBench.infer(lengths: list, newTokens: newTokens, repetitions: repetitions, large: large)
            if json { return try printJSON(r) }
            print("machine: \(r.machine); threads \(r.threads); \(newTokens) decoded tokens; medians of \(repetitions)")
            for f in r.figures + (r.large.map { [$0] } ?? []) {
                print("  \(f.model.padding(toLength: 14, withPad: " ", startingAt: 0)) input \(String(format: "%5d", f.inputLength))  first token \(milliseconds(f.firstTokenSeconds))  decode \(String(format: "%7.0f", f.decodeTokensPerSecond)) tokens/s  peak \(bytes(f.peakMemoryBytes))")
            }
            if let p = r.largeParameters { print("330M Mu parameters: \(p)") }
        }
    }
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

/// `--threads` of the engine benchmarks: how many engine workers to time with.
struct EngineThreads: ParsableArguments {
    @Option(help: "Engine threads (1 … the machine's cores; OpenBLAS itself runs single-threaded).") var threads = 2

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func apply() { Parallel.setWorkers(threads) }
}
