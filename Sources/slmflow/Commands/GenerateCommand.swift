import ArgumentParser
import Foundation
import SLMModels

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate tokens with a model folder (config.json + model.safetensors).",
        discussion: """
            For an encoder-decoder (Mu) the input goes to the encoder and the decoder starts from BOS; \
            for a decoder-only model the input is the prefix. Temperature 0 (the default) is greedy. \
            Generation stops at EOS or after --max-new-tokens.
            """)

    @Argument(help: ArgumentHelp("The model folder.", valueName: "model"))
    var model: String

    @Option(help: "Input text (needs a tokenizer.json in the model folder).")
    var prompt: String?

    @Option(name: .customLong("input-ids"), help: ArgumentHelp("Input token ids, comma-separated.", valueName: "ids"))
    var inputIDs: String?

    @Option(help: "Context text for the seed's QA template (needs a tokenizer).")
    var context: String?

    @Option(name: .customLong("max-new-tokens"), help: "Most tokens to generate.")
    var maxNewTokens = 64

    @Option(help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample only among the k most likely tokens.")
    var topK: Int?

    @Option(help: "Seed of the sampling stream.")
    var seed: UInt64 = 0

    @Flag(help: "Print {\"ids\": [...], \"text\": ...} on stdout.")
    var json = false

    func validate() throws {
        if (prompt == nil) == (inputIDs == nil) { throw ValidationError("give exactly one of --prompt and --input-ids") }
        if maxNewTokens < 0 { throw ValidationError("--max-new-tokens must be ≥ 0") }
        if !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be ≥ 0") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be ≥ 1") }
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
        let hasTokenizer = ModelFolder.hasTokenizer(model)
        if prompt != nil || context != nil {
            guard hasTokenizer else {
                throw ValidationError("\(model) has no tokenizer.json, so --prompt/--context cannot be tokenized; pass --input-ids instead")
            }
            throw ValidationError("this build of slmflow cannot read tokenizer.json yet; pass --input-ids")
        }
        let ids = try Self.parseIDs(inputIDs ?? "")
        let loaded: AnyModel
        do { loaded = try ModelFolder.load(model) } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        let options = GenerationOptions(maxNewTokens: maxNewTokens, temperature: temperature, topK: topK, seed: seed)
        let output: [Int32]
        do {
            output = try Generator(model: loaded).generate(prompts: [ids], options: options)[0]
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if json {
            struct Output: Encodable { var ids: [Int32] }
            return try printJSON(Output(ids: output))
        }
        print(output.map(String.init).joined(separator: " "))
    }
}
