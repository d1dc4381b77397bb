import Foundation
import SLMCore
import SLMFormats
import SLMModels
import SLMPipeline
import SLMTestSupport
import SLMText
import SLMZoo
import Testing

@testable import SLMStages

/// `kind: pull` end to end on a tiny Llama GGUF made here (a byte-level BPE in its metadata,
/// SmolLM2's special tokens), pulled by file:// URL; and `tokenize` taking its tokenizer from
/// a model folder.
@Suite struct PullStageTests {
    static let hidden = 32, feedForward = 64, heads = 2, kvHeads = 1

    /// Writes the GGUF and returns its path, vocabulary size and embedding table (HF layout).
    static func tinyLlamaGGUF(in folder: String) throws -> (path: String, vocabulary: Int, embedding: [Float]) {
        let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        let corpus = (0..<40).map { "The entity Zorvath lives in Kelmor and was founded in \(1800 + $0). Question? Answer: unanswerable" }
        let trained = try ByteLevelBPETrainer(vocabSize: 420, minFrequency: 2, specialTokens: specials).train(corpus)
        guard case .bpe(let model) = trained.model else { throw SystemError("the trainer gave a non-BPE model") }
        let tokens = model.vocabulary.tokens
        let merges = model.mergePairs.map { (model.vocabulary.token($0.0) ?? "") + " " + (model.vocabulary.token($0.1) ?? "") }
        let vocabulary = tokens.count
        var writer = GGUFWriter()
        writer.add("general.architecture", string: "llama")
        writer.add("general.name", string: "Tiny Llama")
        writer.add("general.license", string: "apache-2.0")
        for (key, value) in [("embedding_length", hidden), ("feed_forward_length", feedForward), ("block_count", 1),
                             ("attention.head_count", heads), ("attention.head_count_kv", kvHeads), ("context_length", 256)] {
            writer.add("llama." + key, uint32: UInt32(value))
        }
        writer.add("llama.rope.freq_base", float32: 10000)
        writer.add("llama.attention.layer_norm_rms_epsilon", float32: 1e-5)
        writer.add("tokenizer.ggml.model", string: "gpt2")
        writer.add("tokenizer.ggml.pre", string: "smollm")
        writer.add("tokenizer.ggml.tokens", strings: tokens)
        writer.add("tokenizer.ggml.token_type", int32s: tokens.map { specials.contains($0) ? 3 : 1 })
        writer.add("tokenizer.ggml.merges", strings: merges)
        writer.add("tokenizer.ggml.bos_token_id", uint32: 1)
        writer.add("tokenizer.ggml.eos_token_id", uint32: 2)
        writer.add("tokenizer.ggml.add_bos_token", bool: false)

        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) - 0.5) * 0.2
            }
        }
        func bytes(_ floats: [Float]) -> [UInt8] { floats.withUnsafeBytes { Array($0) } }
        // GGUF dimensions run fastest first: an HF [rows, columns] matrix is [columns, rows].
        func matrix(_ name: String, rows: Int, columns: Int) {
            writer.addTensor(name, dimensions: [columns, rows], type: .f32, data: bytes(values(rows * columns)))
        }
        let headDim = hidden / heads
        let embedding = values(vocabulary * hidden)
        writer.addTensor("token_embd.weight", dimensions: [hidden, vocabulary], type: .f32, data: bytes(embedding))
        writer.addTensor("blk.0.attn_norm.weight", dimensions: [hidden], type: .f32, data: bytes([Float](repeating: 1, count: hidden)))
        matrix("blk.0.attn_q.weight", rows: heads * headDim, columns: hidden)
        matrix("blk.0.attn_k.weight", rows: kvHeads * headDim, columns: hidden)
        matrix("blk.0.attn_v.weight", rows: kvHeads * headDim, columns: hidden)
        matrix("blk.0.attn_output.weight", rows: hidden, columns: heads * headDim)
        writer.addTensor("blk.0.ffn_norm.weight", dimensions: [hidden], type: .f32, data: bytes([Float](repeating: 1, count: hidden)))
        matrix("blk.0.ffn_gate.weight", rows: feedForward, columns: hidden)
        matrix("blk.0.ffn_up.weight", rows: feedForward, columns: hidden)
        matrix("blk.0.ffn_down.weight", rows: hidden, columns: feedForward)
        writer.addTensor("output_norm.weight", dimensions: [hidden], type: .f32, data: bytes([Float](repeating: 1, count: hidden)))
        let path = folder + "/tiny-llama.gguf"
        try Data(writer.bytes()).write(to: URL(fileURLWithPath: path))
        return (path, vocabulary, embedding)
    }

    static func pipeline(source: String, pin: String?) -> String {
        """
        slmflow: 1
        name: pl
        stages:
          teacher:
            kind: pull
            source: "\(source)"
        \(pin.map { "    sha256: \($0)\n" } ?? "")    name: toy/tiny-llama:v1
          synth:
            kind: synth-qa
            seed: 3
            records: 40
          tok:
            kind: tokenize
            data: synth
            tokenizer: teacher
            eos_token: "<|im_end|>"
            pad_token: "<|endoftext|>"
            bos_token: "<|im_start|>"
            max_source_length: 48
            max_target_length: 6
          tokdec:
            kind: tokenize
            data: synth
            tokenizer: teacher.model
            layout: decoder-only
            eos_token: "<|im_end|>"
            pad_token: "<|endoftext|>"
            bos_token: "<|im_start|>"
            max_source_length: 48
            max_target_length: 6
          mu:
            kind: train
            architecture: mu
            data: tok
            steps: 2
            batch_size: 2
          kd:
            kind: distill
            student: mu
            teacher: teacher
            data: tok
            steps: 1
            batch_size: 2
            top_k: 8
          eval:
            kind: evaluate
            models: [teacher, kd]
            data: synth
            limit: 3
            batch_size: 3
            max_new_tokens: 3
        """
    }

    @Test func aPulledGGUFIsAModelFolderTheOtherKindsUse() throws {
        let sandbox = try StageSandbox()
        let gguf = try Self.tinyLlamaGGUF(in: sandbox.root)
        let digest = try SHA256.hashFile(atPath: gguf.path).digest.hex
        let report = try sandbox.run(Self.pipeline(source: "file://" + gguf.path, pin: digest))
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")

        let folder = sandbox.root + "/out/pl/teacher/model"
        for file in ["config.json", "model.safetensors", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + file), "\(file)")
        }
        guard case .llama(let llama) = try ModelFolder.load(folder) else {
            Issue.record("the pulled folder is not a llama model")
            return
        }
        #expect(llama.config.vocabSize == gguf.vocabulary && llama.config.tieWordEmbeddings)
        #expect(Array(UnsafeBufferPointer(start: llama.embedTokens.value.data, count: llama.embedTokens.value.count)) == gguf.embedding)

        // tokenize took the teacher's tokenizer.json (both spellings), and the shards use SmolLM2's ids.
        let teacherTokenizer = try sandbox.data("out/pl/teacher/model/tokenizer.json")
        #expect(try sandbox.data("out/pl/tok/tokenizer/tokenizer.json") == teacherTokenizer)
        #expect(try sandbox.data("out/pl/tokdec/tokenizer/tokenizer.json") == teacherTokenizer)
        let manifest = try JSONDecoder().decode(JSONValue.self, from: try sandbox.data("out/pl/tok/shards/manifest.json")).objectValue ?? [:]
        #expect(manifest["eos_id"]?.intValue == 2 && manifest["pad_id"]?.intValue == 0 && manifest["bos_id"]?.intValue == 1)
        #expect(manifest["vocab_size"]?.intValue == Int64(gguf.vocabulary))

        // Registered under the requested name, with the file's digest as its source; the run
        // record holds the resolved digest.
        let zoo = ZooStore(workspaceRoot: sandbox.root)
        let model = try zoo.resolve("toy/tiny-llama:v1")
        #expect(model.source?.sha256?.hex == digest)
        let state = try PipelineState.load(PipelineState.path(forPipeline: sandbox.root + "/p.yaml"), pipeline: "pl")
        #expect(state.stages["teacher"]?.metrics["source_sha256"]?.stringValue == digest)
        #expect(state.stages["teacher"]?.metrics["tokenizer_json"]?.boolValue == true)

        // With cache/ and out/ gone and the source file deleted, the pull is served by the zoo.
        for path in ["cache", "out", "tiny-llama.gguf"] { try FileManager.default.removeItem(atPath: sandbox.root + "/" + path) }
        let again = try sandbox.run(Self.pipeline(source: "file://" + gguf.path, pin: digest))
        #expect(again.stages.first { $0.name == "teacher" }?.status == .ran)
        #expect(try sandbox.data("out/pl/teacher/model/tokenizer.json") == teacherTokenizer)
    }

    @Test func aWrongPinFailsTheStageByNameAndRegistersNothing() throws {
        let sandbox = try StageSandbox()
        let gguf = try Self.tinyLlamaGGUF(in: sandbox.root)
        let wrong = String(repeating: "ab", count: 32)
        let report = try sandbox.run(Self.pipeline(source: "file://" + gguf.path, pin: wrong))
        let teacher = report.stages.first { $0.name == "teacher" }
        #expect(teacher?.status == .failed)
        #expect(teacher?.error?.contains("stage 'teacher'") == true, "\(teacher?.error ?? "")")
        #expect(ZooStore(workspaceRoot: sandbox.root).manifests().models.isEmpty)
        #expect(report.stages.first { $0.name == "tok" }?.status == .skipped)

        // A catalog entry (zoo/catalog.json, a file:// mirror) is checked against the pin before any download.
        let digest = try SHA256.hashFile(atPath: gguf.path).digest.hex
        let size = try FileManager.default.attributesOfItem(atPath: gguf.path)[.size] as? Int ?? 0
        try sandbox.write("""
            [{"name": "tiny-llama:q", "format": "gguf", "architecture": "llama", "license": "apache-2.0",
              "url": "file://\(gguf.path)", "sha256": "\(digest)", "size": \(size)}]
            """, to: "zoo/catalog.json")
        let catalog = try sandbox.run(Self.pipeline(source: "tiny-llama:q", pin: wrong))
        let error = catalog.stages.first { $0.name == "teacher" }?.error ?? ""
        #expect(error.contains("stage 'teacher'") && error.contains("catalog entry 'tiny-llama:q'") && error.contains(wrong), "\(error)")
        // The same entry pinned right is pulled.
        let right = try sandbox.run(Self.pipeline(source: "tiny-llama:q", pin: digest))
        #expect(right.stages.first { $0.name == "teacher" }?.status == .ran)
    }

    /// A model already in the zoo, by name: pinned by its zoo content digest, registered under
    /// another name when `name` asks for one.
    @Test func aZooNameIsTakenFromTheZooAndPinnedByItsDigest() throws {
        let sandbox = try StageSandbox()
        let gguf = try Self.tinyLlamaGGUF(in: sandbox.root)
        func pipeline(_ source: String, pin: String?) -> String {
            """
            slmflow: 1
            name: zn
            stages:
              teacher:
                kind: pull
                source: "\(source)"
            \(pin.map { "    sha256: \"\($0)\"\n" } ?? "")    name: toy/again
            """
        }
        #expect(try sandbox.run(pipeline("file://" + gguf.path, pin: nil)).stages[0].status == .ran)
        let zoo = ZooStore(workspaceRoot: sandbox.root)
        let digest = try zoo.resolve("toy/again").digest.hex
        let folder = try sandbox.data("out/zn/teacher/model/model.safetensors")

        let byName = try sandbox.run(pipeline("toy/again", pin: digest))
        #expect(byName.stages[0].status == .ran, "\(byName.stages[0].error ?? "")")
        #expect(try sandbox.data("out/zn/teacher/model/model.safetensors") == folder)

        let wrong = try sandbox.run(pipeline("toy/again", pin: String(repeating: "0", count: 64)))
        #expect(wrong.stages[0].status == .failed)
        #expect(wrong.stages[0].error?.contains("stage 'teacher'") == true && wrong.stages[0].error?.contains("pins sha256:0000") == true,
                "\(wrong.stages[0].error ?? "")")
        let unknown = try sandbox.run(pipeline("toy/agian", pin: nil))
        #expect(unknown.stages[0].error?.contains("neither a catalog entry nor a model in the zoo") == true
                && unknown.stages[0].error?.contains("toy/again") == true, "\(unknown.stages[0].error ?? "")")
    }

    @Test func tokenizerFromAStageOutputWithoutTokenizerJSONIsAnErrorNamingStageAndFolder() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run("""
            slmflow: 1
            name: tk
            stages:
              synth: {kind: synth-qa, seed: 1, records: 30}
              tok: {kind: tokenize, data: synth, vocab_size: 300}
              fromshards: {kind: tokenize, data: synth, tokenizer: tok}
              wrong: {kind: tokenize, data: synth, tokenizer: synth}
            """)
        // `tokenizer: tok` names the shards: their manifest leads to the tokenizer they were made with.
        #expect(report.stages.first { $0.name == "fromshards" }?.status == .ran)
        #expect(try sandbox.data("out/tk/fromshards/tokenizer/tokenizer.json") == sandbox.data("out/tk/tok/tokenizer/tokenizer.json"))
        let wrong = report.stages.first { $0.name == "wrong" }
        #expect(wrong?.status == .failed)
        let message = wrong?.error ?? ""
        #expect(message.contains("stage 'wrong'") && message.contains("out/tk/synth/data") && message.contains("no tokenizer.json"), "\(message)")
    }
}
