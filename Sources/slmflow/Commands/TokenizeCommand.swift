import ArgumentParser
import Foundation
import SLMText

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode, decode and train tokenizers (Hugging Face tokenizer.json, GGUF, zoo models).",
        subcommands: [TokenizeEncodeCommand.self, TokenizeDecodeCommand.self, TokenizeTrainCommand.self, TokenizeBenchCommand.self])
}

/// The lines of a text file: split on "\n", a final newline ends the last line.
/// `-` is standard input; pipes and process substitutions (`<(…)`) are read to their end.
func textLines(_ path: String) throws -> [String] {
    let handle = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path)
    guard let handle else { throw ValidationError("cannot open '\(path)'") }
    let data: Data
    do { data = try handle.readToEnd() ?? Data() } catch { throw ValidationError("cannot read '\(path)': \(error)") }
    // Split on the byte 0x0A: Swift's Character-based splitting keeps "\r\n" whole.
    var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    if lines.last == "" { lines.removeLast() }
    return lines
}

func idsJSON(_ ids: [Int32]) -> String { "{\"ids\": [" + ids.map(String.init).joined(separator: ", ") + "]}" }

struct TokenizeEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Print the token ids of a text, or of every line of a file (one JSON object per line).")

    @Option(help: ArgumentHelp(tokenizerSourceHelp, valueName: "file-or-model"))
    var tokenizer: String

    @OptionGroup var workspace: WorkspaceOptions

    @Option(help: "The text to encode.")
    var text: String?

    @Option(help: ArgumentHelp("Encode every line of this file (- for standard input); prints {\"ids\": [...]} per line, in order.", valueName: "file"))
    var file: String?

    @Flag(name: .customLong("no-special"), help: "Do not add the post-processor's special tokens (BOS, [CLS] …).")
    var noSpecial = false

    @Flag(help: "Print {\"ids\": [...]} instead of space-separated ids.")
    var json = false

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give exactly one of --text and --file") }
    }

    func run() throws {
        let tokenizer = try loadTokenizer(self.tokenizer, workspace: workspace)
        if let text {
            let ids = try tokenizer.encode(text, addSpecialTokens: !noSpecial)
            print(json ? idsJSON(ids) : ids.map(String.init).joined(separator: " "))
            return
        }
        guard let file else { return }
        var output = ""
        for line in try textLines(file) {
            output += idsJSON(try tokenizer.encode(line, addSpecialTokens: !noSpecial)) + "\n"
            if output.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}

struct TokenizeDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Print the text of token ids.")

    @Option(help: ArgumentHelp(tokenizerSourceHelp, valueName: "file-or-model"))
    var tokenizer: String

    @OptionGroup var workspace: WorkspaceOptions

    @Option(help: ArgumentHelp("Comma-separated ids, e.g. 1,2,3.", valueName: "ids"))
    var ids: String

    @Flag(name: .customLong("keep-special"), help: "Keep special tokens in the text.")
    var keepSpecial = false

    func run() throws {
        var parsed: [Int32] = []
        for part in ids.split(separator: ",", omittingEmptySubsequences: true) {
            guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--ids: '\(part)' is not an integer id")
            }
            parsed.append(id)
        }
        let tokenizer = try loadTokenizer(self.tokenizer, workspace: workspace)
        print(tokenizer.decode(parsed, skipSpecialTokens: !keepSpecial))
    }
}

struct TokenizeTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a byte-level BPE tokenizer on text files and write tokenizer.json.")

    @Argument(help: "Training text files; every line is one text.")
    var inputs: [String]

    @Option(name: .customLong("vocab-size"), help: "Vocabulary size, special tokens and the 256 bytes included.")
    var vocabSize: Int

    @Option(name: .customLong("min-frequency"), help: "Stop merging when the best pair occurs fewer times.")
    var minFrequency = 2

    @Option(name: .customLong("special-token"), help: ArgumentHelp("A special token (repeatable); they take ids 0, 1, ….", valueName: "token"))
    var specialTokens: [String] = []

    @Flag(help: "Put a space before each text that lacks one (the ByteLevel pre-tokenizer's add_prefix_space).")
    var addPrefixSpace = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write tokenizer.json.", valueName: "file"))
    var output: String

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one training file") }
    }

    func run() throws {
        let start = Date()
        let trainer = ByteLevelBPETrainer(vocabSize: vocabSize, minFrequency: minFrequency, specialTokens: specialTokens,
                                          addPrefixSpace: addPrefixSpace)
        var counts = trainer.wordCounts()
        for input in inputs {
            for line in try textLines(input) { counts.add(line + "\n") }
        }
        let counted = Date()
        let tokenizer: Tokenizer
        do {
            tokenizer = try trainer.train(counts)
        } catch let error as TokenizerError {
            throw ValidationError(error.message)
        }
        let end = Date()
        try Data(try tokenizer.tokenizerJSON().utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        let seconds = end.timeIntervalSince(start)
        let megabytes = Double(counts.bytes) / 1e6
        let figures = String(format: "%.2f MB in %.2f s (counting %.2f s, merging %.2f s): %.2f MB/s", megabytes, seconds,
                             counted.timeIntervalSince(start), end.timeIntervalSince(counted), megabytes / max(seconds, 1e-9))
        printError("trained \(tokenizer.vocabularySize) tokens on \(figures); wrote \(output)")
    }
}
