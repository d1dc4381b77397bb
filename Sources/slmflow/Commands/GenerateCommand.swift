import ArgumentParser
import Foundation
import SLMData
import SLMModels
import SLMText

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate tokens with a model folder (config.json + model.safetensors), a checkpoint file or a zoo model.",
        discussion: """
            MODEL is a folder; a checkpoint file (torch.save .pt/.bin, .safetensors, GGUF; --config for one \
            without a config); or a model of the workspace's zoo: name, name:tag or name@sha256:<hex>. \
            For an encoder-decoder (Mu) the input goes to the encoder and the decoder starts from BOS; \
            for a decoder-only model the input is the prefix. Temperature 0 (the default) is greedy; \
            otherwise top-k, then top-p, narrow the choice, after any repetition penalty (transformers' order). Generation stops at EOS \
            or after --max-new-tokens. Text is printed as it is generated, unless --json.
            """)

    @Argument(help: ArgumentHelp("A model folder, a checkpoint file, or a zoo model (name[:tag] or name@sha256:<hex>).",
                                 valueName: "model"))
    var model: String

    @Option(help: "A config.json for a checkpoint file that carries none (a bare .safetensors or torch state dict).")
    var config: String?

    @Option(help: "Input text (needs a tokenizer.json in the model folder).")
    var prompt: String?

    @Option(name: .customLong("input-ids"), help: ArgumentHelp("Input token ids, comma-separated.", valueName: "ids"))
    var inputIDs: String?

    @Option(help: "Context for the seed's QA template: --prompt is then the question (needs a tokenizer).")
    var context: String?

    @Option(help: ArgumentHelp("The QA template --context fills, with {question} and {context} (default: the seed's).",
                               valueName: "template"))
    var template: String?

    @Option(name: .customLong("max-new-tokens"), help: "Most tokens to generate.")
    var maxNewTokens = 64

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample only among the k most likely tokens.")
    var topK: Int?

    @Option(name: .customLong("top-p"), help: "Sample only among the most likely tokens whose probabilities sum to p (0 < p ≤ 1).")
    var topP: Double?

    @Option(name: .customLong("repetition-penalty"),
            help: "Divide the logit of every id already in the decoder's input by this (multiply when negative), as transformers' repetition_penalty; 1 = off.")
    var repetitionPenalty: Float?

    @Option(help: "Seed of the sampling stream.")
    var seed: UInt64 = 0

    @Flag(help: "Print {\"ids\": [...], \"text\": ...} on stdout.")
    var json = false

    @Flag(help: "Print the input length, first-token latency, decode rate and peak memory on stderr.")
    var stats = false

    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        if (prompt == nil) == (inputIDs == nil) { throw ValidationError("give exactly one of --prompt and --input-ids") }
        if maxNewTokens < 0 { throw ValidationError("--max-new-tokens must be ≥ 0") }
        if !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be ≥ 0") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be ≥ 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if let repetitionPenalty, !(repetitionPenalty > 0 && repetitionPenalty.isFinite) {
            throw ValidationError("--repetition-penalty must be > 0")
        }
    }

    static func parseIDs(_ text: String) throws -> [Int32] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var ids: [Int32] = []
        for part in parts {
            guard let id = Int32(part) else { throw ValidationError("--input-ids: '\(part)' is not a token id (expected e.g. 5,17,42)") }
            ids.append(id)
        }
        return ids
    }

    func run() throws {
        let location = try ModelLocation(model, workspace: workspace, config: config)
        defer { location.close() }
        // The folder's tokenizer.json (written there for a zoo model or a GGUF file).
        let tokenizer = location.hasTokenizer ? try loadTokenizer(location.folder) : nil
        let ids: [Int32]
        if let prompt {
            guard let tokenizer else {
                throw ValidationError("\(model) has no tokenizer.json, so --prompt cannot be tokenized; pass --input-ids instead")
            }
            let qa: QAPromptTemplate
            do { qa = try template.map { try QAPromptTemplate(template: $0) } ?? QAPromptTemplate() } catch {
                throw ValidationError("--template: \(error)")
            }
            let text = context.map { qa.render(question: prompt, context: $0) } ?? prompt
            ids = try tokenizer.encode(text)
        } else {
            if context != nil || template != nil { throw ValidationError("--context and --template need --prompt (the question)") }
            ids = try Self.parseIDs(inputIDs ?? "")
        }
        let loaded: AnyModel
        do { loaded = try ModelFolder.load(location.folder) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let options = GenerationOptions(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, topP: topP,
                                        repetitionPenalty: repetitionPenalty, seed: seed)
        // Streamed to the terminal as tokens come: text with a tokenizer, ids without one.
        var stream = json ? nil : tokenizer.map(StreamingDecoder.init)
        var streamedIDs = 0
        func write(_ text: String) {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let output: [Int32]
        let start = DispatchTime.now().uptimeNanoseconds
        var firstTokenAt: UInt64 = 0
        do {
            output = try Generator(model: loaded).generate(prompts: [ids], options: options) { _, token in
                if firstTokenAt == 0 { firstTokenAt = DispatchTime.now().uptimeNanoseconds }
                guard !json else { return }
                if let text = stream?.push(token) {
                    write(text)
                } else {
                    write((streamedIDs == 0 ? "" : " ") + String(token))
                    streamedIDs += 1
                }
            }[0]
        } catch {
            if !json { write("\n") }
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if !json { write((stream?.finish() ?? "") + "\n") }
        if stats { printStats(input: ids.count, output: output.count, start: start, firstTokenAt: firstTokenAt) }
        if !json { return }
        struct Output: Encodable {
            var ids: [Int32]
            var text: String?
        }
        try printJSON(Output(ids: output, text: tokenizer?.decode(output)))
    }

    /// llama.cpp-style timings: the first token covers the encoder and first decoder step
    /// (Mu) or the prefill; the rate counts the tokens after it.
    private func printStats(input: Int, output: Int, start: UInt64, firstTokenAt: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        var line = "\(input) input tokens, \(output) generated"
        if output > 0 {
            line += String(format: "; first token %.1f ms", Double(firstTokenAt - start) / 1e6)
        }
        if output > 1 {
            line += String(format: ", then %.1f tokens/s", Double(output - 1) / (Double(now - firstTokenAt) / 1e9))
        }
        printError(line + "; peak memory " + bytes(EngineBench.peakMemory()))
    }
}
