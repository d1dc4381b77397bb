import Foundation
import SLMCore
import SLMFormats
import SLMTestSupport
import Testing
@testable import SLMZoo

@Suite struct GGUFImportTests {
    let scratch: Scratch
    init() throws { scratch = try Scratch() }

    /// One block each of Q8_0, Q4_0, Q4_1 with known scales and codes, and the values they mean.
    static func quantisedBlocks() -> [(GGMLType, [UInt8], [Float])] {
        let q8: [Int8] = (0..<32).map { Int8($0 * 7 % 255 - 100) }
        let q8Bytes = fp16Bits(0.25) + q8.map { UInt8(bitPattern: $0) }
        let nibbles: [UInt8] = (0..<16).map { UInt8(($0 * 5) % 16) | UInt8((15 - $0) % 16) << 4 }
        let low = nibbles.map { Int($0 & 0x0f) }, high = nibbles.map { Int($0 >> 4) }
        let q40 = (low + high).map { Float($0 - 8) * 0.5 }
        let q41 = (low + high).map { Float($0) * 0.125 - 1 }
        return [
            (.q8_0, q8Bytes, q8.map { Float($0) * 0.25 }),
            (.q4_0, fp16Bits(0.5) + nibbles, q40),
            (.q4_1, fp16Bits(0.125) + fp16Bits(-1) + nibbles, q41),
        ]
    }

    /// Q4_K, Q5_K and Q6_K super-blocks against the `gguf` package's reference decoder
    /// (scripts/golden/make_ggml_kquant_golden.py).
    @Test func kQuantsDequantiseAsTheReference() throws {
        struct Case: Decodable { var type: String; var ggml_type: UInt32; var bytes: [UInt8]; var values: [Float] }
        struct File: Decodable { var cases: [Case] }
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("ggml-kquants.json")))
        let cases = try JSONDecoder().decode(File.self, from: data).cases
        #expect(cases.map(\.type) == ["Q4_K", "Q5_K", "Q6_K"])
        for c in cases {
            let type = try #require(GGMLType(rawValue: c.ggml_type))
            #expect(type.name == c.type && c.bytes.count == 2 * type.block.bytes)
            let values = GGMLDequantizer.floats(c.bytes, type: type, count: c.values.count)
            let worst = zip(values, c.values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-6 * (c.values.map(abs).max() ?? 1), "\(c.type): \(worst)")
        }
    }

    @Test func quantisedBlocksDequantiseToTheirValues() throws {
        for (type, bytes, expected) in Self.quantisedBlocks() {
            #expect(GGMLDequantizer.floats(bytes, type: type, count: 32) == expected, "\(type.name)")
        }
    }

    /// A toy llama with two heads: Q rows interleaved as llama.cpp's converter does.
    func toyLlama() throws -> (path: String, hfQ: [Float]) {
        let heads = 2, headDim = 4, columns = 32
        let rows = heads * headDim
        let hfQ = (0..<rows * columns).map { Float($0) }
        var ggufQ = [Float](repeating: 0, count: hfQ.count)
        for h in 0..<heads {
            for i in 0..<headDim / 2 {
                for j in 0..<2 {
                    let hfRow = h * headDim + j * headDim / 2 + i, ggufRow = h * headDim + 2 * i + j
                    for c in 0..<columns { ggufQ[ggufRow * columns + c] = hfQ[hfRow * columns + c] }
                }
            }
        }
        var writer = GGUFWriter()
        writer.add("general.architecture", string: "llama")
        writer.add("general.name", string: "Toy Llama")
        writer.add("general.license", string: "apache-2.0")
        for (key, value) in [("embedding_length", 32), ("feed_forward_length", 64), ("block_count", 1), ("attention.head_count", 2),
                             ("attention.head_count_kv", 1), ("context_length", 128)] {
            writer.add("llama." + key, uint32: UInt32(value))
        }
        writer.add("llama.rope.freq_base", float32: 10000)
        writer.add("tokenizer.ggml.model", string: "gpt2")
        writer.add("tokenizer.ggml.tokens", strings: ["a", "b", "ab"])
        writer.add("tokenizer.ggml.merges", strings: ["a b"])
        writer.addTensor("blk.0.attn_q.weight", dimensions: [columns, rows], type: .f32, data: fp32Bytes(ggufQ))
        let blocks = Self.quantisedBlocks()
        writer.addTensor("blk.0.ffn_down.weight", dimensions: [32, 1], type: .q8_0, data: blocks[0].1)
        writer.addTensor("token_embd.weight", dimensions: [32, 1], type: .q4_1, data: blocks[2].1)
        writer.addTensor("output_norm.weight", dimensions: [4], type: .f16, data: [1.0, 2.0, -0.5, 0.25].flatMap(fp16Bits))
        let path = scratch.path("toy.gguf")
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        return (path, hfQ)
    }

    @Test func ggufExportedDirectlyEqualsTheZooRoute() throws {
        try expectDirectExportEqualsZooRoute(try toyLlama().path, scratch)
    }

    @Test func readerExposesMetadataAndTokenizerArrays() throws {
        let file = try GGUFFile(path: try toyLlama().path)
        #expect(file.version == 3)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.stringArray == ["a", "b", "ab"])
        #expect(file.metadata["llama.attention.head_count"]?.intValue == 2)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.shape == [8, 32])
    }

    @Test func llamaImportMatchesHuggingFaceLayout() throws {
        let (path, hfQ) = try toyLlama()
        let model = try ModelImporter.open(path)
        #expect(model.architecture == "LlamaForCausalLM")
        #expect(model.config.objectValue?["num_attention_heads"] == .int(2))
        #expect(model.config.objectValue?["tie_word_embeddings"] == .bool(true))
        #expect(model.source.license == "apache-2.0")
        #expect(Set(model.tensorNames) == ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
                                            "model.embed_tokens.weight", "model.norm.weight"])
        let q = try model.loadTensor("model.layers.0.self_attn.q_proj.weight")
        #expect(q.bytes == fp32Bytes(hfQ), "Q rows back in HF order")
        #expect(try model.loadTensor("model.layers.0.mlp.down_proj.weight").bytes == fp32Bytes(Self.quantisedBlocks()[0].2))
        #expect(try model.loadTensor("model.embed_tokens.weight").bytes == fp32Bytes(Self.quantisedBlocks()[2].2))
        let norm = try model.loadTensor("model.norm.weight")
        #expect(norm.dtype == .float16 && norm.shape == [4])
        let manifest = try scratch.zoo.add(model, as: try ModelReference.parse("toy"), slmflowVersion: "t")
        #expect(manifest.tokenizer?.format == "gguf-metadata")
        let tokenizer = try JSONDecoder().decode(JSONValue.self, from: Data(try scratch.zoo.blobs.read(try #require(manifest.tokenizer).digest)))
        #expect(tokenizer.objectValue?["tokenizer.ggml.merges"] == .array(["a b"]))
    }
}
