import Foundation
import Testing
import SLMFormats
import SLMModels
import SLMTensor

@Suite struct ModelConfigTests {
    @Test func defaultMuConfigIsTheReleased330MModel() throws {
        let c = MuConfig()
        #expect(c.nEncoderLayer == 20 && c.nDecoderLayer == 10 && c.nEmbd == 1024 && c.qkvEmbd == 384)
        #expect(c.nHead == 6 && c.nKVHead == 3 && c.hiddenDim == 4096 && c.vocabSize == 32128 && c.headDim == 64)
        #expect(c.encoderBlockParameters == 9_577_216 && c.decoderBlockParameters == 10_759_680)
        #expect(c.parameterCount == 332_042_240)
        // The built model has the seed's 513 distinct tensors with exactly that many values.
        let model = MuModel(config: c, seed: nil)
        #expect(model.parameters.count == 513)
        #expect(model.parameterCount == 332_042_240)
        #expect(Set(model.parameters.map(\.name)).count == 513)
        #expect(model.parametersByName["transformer.h.9.cross_attn.k_linear.weight"]?.shape == [192, 1024])
        #expect(model.parametersByName["transformer.e.19.attn.out_linear.weight"]?.shape == [1024, 384])
    }

    @Test func muConfigUsesTheSeedFieldNamesAndDefaultsMissingOnes() throws {
        let json = #"{"model_type": "mu", "n_encoder_layer": 4, "n_decoder_layer": 2, "n_embd": 256, "qkv_embd": 256, "n_head": 4, "n_kv_head": 2, "hidden_dim": 1024, "vocab_size": 8192, "eos_token_id": 2, "unknown_field": 1}"#
        let c = try JSONDecoder().decode(MuConfig.self, from: Data(json.utf8))
        #expect(c.nEncoderLayer == 4 && c.qkvEmbd == 256 && c.vocabSize == 8192 && c.eosTokenID == 2)
        #expect(c.dropout == 0.1 && c.ropeTheta == 10_000 && c.padTokenID == 0 && c.bosTokenID == 1 && !c.isInterleaved)
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any] ?? [:]
        for key in ["n_encoder_layer", "n_decoder_layer", "n_embd", "qkv_embd", "is_interleaved", "hidden_dim", "n_head",
                    "n_kv_head", "block_size", "dropout", "rope_theta", "rope_factor", "pad_token_id", "vocab_size"] {
            #expect(encoded[key] != nil, "missing \(key)")
        }
        let bad = #"{"n_head": 6, "n_kv_head": 4}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(MuConfig.self, from: Data(bad.utf8)) }
    }

    @Test func baselineHelperMatchesTheMuParameterCount() {
        var mu = MuConfig(encoderLayers: 4, decoderLayers: 2, width: 256, qkvWidth: 256, heads: 4, kvHeads: 2,
                          mlpWidth: 1024, vocabSize: 8192)
        let base = DecoderOnlyConfig.matching(mu)
        let model = DecoderOnlyModel(config: base, seed: nil)
        #expect(model.parameterCount == base.parameterCount)
        // Nearest depth: one layer more or less is further from the target.
        for other in [base.nLayer - 1, base.nLayer + 1] {
            #expect(abs(DecoderOnlyConfig(widths: mu, layers: other).parameterCount - mu.parameterCount)
                    >= abs(base.parameterCount - mu.parameterCount))
        }
        #expect(abs(base.parameterCount - mu.parameterCount) <= base.blockParameters / 2)
        mu = MuConfig()
        let big = DecoderOnlyConfig.matching(mu)
        #expect(abs(big.parameterCount - 332_042_240) <= big.blockParameters / 2)
    }

    @Test func tokenIDsOutsideTheVocabularyAreErrorsNotCrashes() throws {
        let model = MuModel(config: MuConfig(encoderLayers: 1, decoderLayers: 1, width: 8, qkvWidth: 8, heads: 2,
                                             kvHeads: 1, mlpWidth: 16, vocabSize: 10))
        #expect(throws: InvalidTokenError.self) {
            _ = try model.logits(source: [3, 10], decoderInput: [1, 2], batch: 1, .inference())
        }
        #expect(throws: InvalidTokenError.self) {
            _ = try model.logits(source: [3, 4], decoderInput: [1, -1], batch: 1, .inference())
        }
    }
}

@Suite struct ModelFolderTests {
    static func tinyMu() -> MuModel {
        MuModel(config: MuConfig(encoderLayers: 1, decoderLayers: 1, width: 16, qkvWidth: 8, heads: 2, kvHeads: 1,
                                 mlpWidth: 24, vocabSize: 20), seed: 5)
    }

    func expectSameWeights(_ a: ParameterContainer, _ b: ParameterContainer, tolerance: Float = 0) {
        let bn = b.parametersByName
        #expect(a.parameters.count == b.parameters.count)
        for p in a.parameters {
            guard let q = bn[p.name] else { Issue.record("missing \(p.name)"); continue }
            #expect(p.shape == q.shape)
            #expect(maxAbsDiff(p.value, q.value) <= tolerance, "\(p.name)")
        }
    }

    /// `sliding_window` is read, kept and applied: with one layer, the last position's logits
    /// over 12 tokens with a window of 8 equal those of the same weights with full attention
    /// over just the last 8 tokens (RoPE scores depend only on the distance p − j).
    @Test func slidingWindowIsReadKeptAndApplied() throws {
        let json = #"{"model_type": "phi3", "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 1, "#
            + #""num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64, "sliding_window": 8}"#
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(json.utf8))
        #expect(config.slidingWindow == 8)
        let again = try JSONDecoder().decode(LlamaConfig.self, from: JSONEncoder().encode(config))
        #expect(again.slidingWindow == 8)
        var full = config
        full.slidingWindow = nil
        let windowed = LlamaModel(config: config, seed: 3), plain = LlamaModel(config: full, seed: 3)
        let ids: [Int32] = [5, 9, 63, 2, 17, 40, 8, 8, 31, 12, 6, 50]
        func lastLogits(_ model: LlamaModel, _ ids: [Int32]) throws -> Tensor {
            let fp = ForwardPass.inference()
            let z = fp.tape.value(try model.logits(ids: ids, batch: 1, fp))
            return Tensor(shape: [z.columns], values: Array(z.array.suffix(z.columns)))
        }
        let expected = try lastLogits(plain, Array(ids.suffix(8)))
        #expect(maxAbsDiff(try lastLogits(windowed, ids), expected) < 1e-4)
        #expect(maxAbsDiff(try lastLogits(plain, ids), expected) > 1e-3, "the window must change something here")

        var bad = config
        bad.slidingWindow = 0
        #expect(bad.validationProblem?.contains("sliding_window") == true)
    }

    @Test func saveThenLoadRoundTripsEveryModelKind() throws {
        let llama = LlamaModel(config: LlamaConfig(layers: 2, hidden: 16, intermediate: 24, heads: 4, kvHeads: 2,
                                                   vocabSize: 30, tied: false, attentionBias: true), seed: 3)
        let phi3 = LlamaModel(config: LlamaConfig(layers: 1, hidden: 16, intermediate: 24, heads: 4, kvHeads: 2,
                                                  vocabSize: 30, tied: false, modelType: "phi3"), seed: 4)
        let baseline = DecoderOnlyModel(config: DecoderOnlyConfig(widths: Self.tinyMu().config, layers: 2), seed: 6)
        for model in [AnyModel.mu(Self.tinyMu()), .decoderOnly(baseline), .llama(llama), .llama(phi3)] {
            let folder = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try ModelFolder.save(model, to: folder)
            let loaded = try ModelFolder.load(folder)
            #expect(loaded.modelType == model.modelType)
            expectSameWeights(model.container, loaded.container)
        }
        // Phi-3 is written fused, as HF stores it.
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ModelFolder.save(.llama(phi3), to: folder)
        let names = try SafetensorsFile(path: folder + "/model.safetensors").names
        #expect(names.contains("model.layers.0.self_attn.qkv_proj.weight") && names.contains("model.layers.0.mlp.gate_up_proj.weight"))
        #expect(!names.contains("model.layers.0.self_attn.q_proj.weight"))
    }

    @Test func bf16WeightsLoadAsRoundedFP32() throws {
        let model = Self.tinyMu()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ModelFolder.save(.mu(model), to: folder, storage: .bfloat16)
        let loaded = try ModelFolder.load(folder).container
        let byName = loaded.parametersByName
        for p in model.parameters {
            let q = byName[p.name]!
            for i in 0..<p.value.count { #expect(q.value.data[i] == HalfPrecision.roundedToBFloat16(p.value.data[i])) }
        }
    }

    /// Writes the state dict with edits, then loads it.
    func loadEdited(_ edit: (inout [String: Tensor]) -> Void) throws -> Result<AnyModel, Error> {
        let model = Self.tinyMu()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ModelFolder.save(.mu(model), to: folder)
        var tensors = ModelFolder.stateDict(.mu(model))
        edit(&tensors)
        try SafetensorsWriter.write(tensors, to: folder + "/model.safetensors")
        return Result { try ModelFolder.load(folder) }
    }

    func message(_ r: Result<AnyModel, Error>) -> String {
        if case .failure(let e) = r { return "\(e)" }
        return "loaded"
    }

    @Test func unknownMissingAndMisshapenTensorsAreErrorsNamingTheKey() throws {
        let unknown = message(try loadEdited { $0["transformer.e.0.attn.extra.weight"] = Tensor(zeros: [2]) })
        #expect(unknown.contains("unexpected tensor 'transformer.e.0.attn.extra.weight'"), "\(unknown)")

        let missing = message(try loadEdited { $0["transformer.h.0.cross_attn.v_linear.bias"] = nil })
        #expect(missing.contains("missing tensor 'transformer.h.0.cross_attn.v_linear.bias'"), "\(missing)")

        let shape = message(try loadEdited { $0["transformer.e.0.mlp.fc1.weight"] = Tensor(zeros: [24, 15]) })
        #expect(shape.contains("'transformer.e.0.mlp.fc1.weight'") && shape.contains("[24, 15]") && shape.contains("[24, 16]"), "\(shape)")

        // The seed's state dict lists the tied lm_head under both names: accepted, shape-checked.
        let alias = try loadEdited { $0["lm_head.weight"] = $0["transformer.wte.weight"] }
        #expect(message(alias) == "loaded")
        let badAlias = message(try loadEdited { $0["lm_head.weight"] = Tensor(zeros: [3, 16]) })
        #expect(badAlias.contains("'lm_head.weight'") && badAlias.contains("[3, 16]") && badAlias.contains("[20, 16]"), "\(badAlias)")
    }

    @Test func shardedIndexLoads() throws {
        let model = Self.tinyMu()
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ModelFolder.save(.mu(model), to: folder)
        try FileManager.default.removeItem(atPath: folder + "/model.safetensors")
        let tensors = ModelFolder.stateDict(.mu(model))
        var first: [String: Tensor] = [:], second: [String: Tensor] = [:]
        var map: [String: String] = [:]
        for (i, name) in tensors.keys.sorted().enumerated() {
            if i % 2 == 0 { first[name] = tensors[name]; map[name] = "model-00001-of-00002.safetensors" } else {
                second[name] = tensors[name]; map[name] = "model-00002-of-00002.safetensors"
            }
        }
        try SafetensorsWriter.write(first, to: folder + "/model-00001-of-00002.safetensors", as: .bfloat16)
        try SafetensorsWriter.write(second, to: folder + "/model-00002-of-00002.safetensors")
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
        try index.write(to: URL(fileURLWithPath: folder + "/model.safetensors.index.json"))
        let loaded = try ModelFolder.load(folder)
        expectSameWeights(model, loaded.container, tolerance: 1e-3)
    }

    @Test func badFoldersGiveClearErrors() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(message(Result { try ModelFolder.load(folder) }).contains("no config.json"))
        try Data(#"{"model_type": "gpt2"}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("model_type \"gpt2\" is not supported"))
        try Data(#"{"model_type": "mu", "n_head": 5, "n_kv_head": 2}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("n_head"))
        try Data(#"{"model_type": "mu", "n_encoder_layer": 1}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("neither model.safetensors"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/model.safetensors"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("safetensors"))
        // The seed's bare MuConfig fields (no model_type) are a Mu: loading gets to the weights.
        try Data(#"{"n_encoder_layer": 1}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("safetensors"))
        try Data(#"{"hidden_size": 16}"#.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(message(Result { try ModelFolder.load(folder) }).contains("no \"model_type\""))
    }
}
