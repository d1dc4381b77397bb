import ArgumentParser
import Foundation
import SLMText

/// Encoding speed on one core, measured the way scripts/bench/tokenizer_bench.py measures
/// the Python library: the file's lines grouped into chunks, each chunk encoded once per round.
struct TokenizeBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure tokenizer load time and encoding MB/s (one core, median of rounds).")

    @Option(help: ArgumentHelp("A tokenizer.json file, or a folder holding one.", valueName: "file"))
    var tokenizer: String

    @Option(help: ArgumentHelp("The text to encode.", valueName: "file"))
    var file: String

    @Option(name: .customLong("lines-per-chunk"), help: "Lines joined with \\n into one encode call.")
    var linesPerChunk = 16

    @Option(help: "Timed rounds; the median is reported.")
    var rounds = 5

    func run() throws {
        var loadTimes: [Double] = []
        var loaded: Tokenizer?
        for _ in 0..<max(rounds, 1) {
            let start = Date()
            loaded = try loadTokenizer(tokenizer)
            loadTimes.append(Date().timeIntervalSince(start))
        }
        guard let tokenizer = loaded else { return }
        let lines = try textLines(file)
        let chunks = stride(from: 0, to: lines.count, by: max(linesPerChunk, 1)).map {
            lines[$0..<min($0 + linesPerChunk, lines.count)].joined(separator: "\n")
        }
        let bytes = chunks.reduce(0) { $0 + $1.utf8.count }
        var rates: [Double] = []
        var tokens = 0
        for _ in 0..<max(rounds, 1) {
            let start = Date()
            tokens = 0
            for chunk in chunks { tokens += try tokenizer.encode(chunk, addSpecialTokens: false).count }
            rates.append(Double(bytes) / 1e6 / Date().timeIntervalSince(start))
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        print("{\"load_ms\": \(String(format: "%.1f", median(loadTimes) * 1000)), \"encode_mb_per_s\": \(String(format: "%.2f", median(rates))), "
              + "\"bytes\": \(bytes), \"tokens\": \(tokens), \"rounds\": \(rates.count)}")
    }
}
