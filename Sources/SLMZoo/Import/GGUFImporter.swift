import Foundation
import SLMCore
import SLMFormats

/// llama.cpp GGUF files. Quantised tensors (Q8_0, Q4_0, Q4_1) are dequantised to F32;
/// F32/F16/BF16 keep their bytes. For the llama architecture, tensor names map to
/// Hugging Face's, the config is rebuilt from `llama.*` metadata, and the Q/K row
/// permutation of llama.cpp's converter is undone. The `tokenizer.*` keys become the
/// model's tokenizer (format `gguf-metadata`); the other keys are kept as format metadata.
enum GGUFImporter {
    static func importFile(_ path: String) throws -> ImportedModel {
        let file = try GGUFFile(path: path)
        let architecture = file.metadata["general.architecture"]?.stringValue ?? "unknown"
        let isLlama = architecture == "llama"
        var tokenizer: [String: JSONValue] = [:], other: [String: JSONValue] = [:]
        for key in file.metadataKeys {
            guard let value = file.metadata[key] else { continue }
            if key.hasPrefix("tokenizer.") { tokenizer[key] = json(value) } else { other[key] = json(value) }
        }
        let config = isLlama ? try llamaConfig(file) : .object(other)
        let heads = config.objectValue?["num_attention_heads"]?.intValue.map(Int.init)
        let kvHeads = config.objectValue?["num_key_value_heads"]?.intValue.map(Int.init) ?? heads
        var byName: [String: GGUFTensorInfo] = [:]
        for info in file.tensors { byName[isLlama ? hfName(info.name) : info.name] = info }
        let tokenizerBytes = tokenizer.isEmpty ? nil : (format: "gguf-metadata", bytes: Array(JSONValue.object(tokenizer).canonicalText.utf8))
        return ImportedModel(
            architecture: isLlama ? "LlamaForCausalLM" : architecture, config: config, tokenizer: tokenizerBytes,
            tensorNames: file.tensors.map { isLlama ? hfName($0.name) : $0.name },
            loadTensor: { name in
                guard let info = byName[name] else { throw ZooError.invalidInput(path: path, "no tensor '\(name)'") }
                var headsToUndo: Int?
                if isLlama, info.name.hasSuffix("attn_q.weight") { headsToUndo = heads }
                if isLlama, info.name.hasSuffix("attn_k.weight") { headsToUndo = kvHeads }
                return try tensor(info, named: name, file: file, unpermuteHeads: headsToUndo)
            },
            source: .init(location: path, format: "gguf", sha256: try SHA256.hashFile(atPath: path).digest,
                          license: file.metadata["general.license"]?.stringValue),
            formatMetadata: .object(other),
            suggestedName: SafetensorsImporter.suggestedName(file.metadata["general.name"]?.stringValue ?? path))
    }

    static func tensor(_ info: GGUFTensorInfo, named name: String, file: GGUFFile, unpermuteHeads: Int?) throws -> ImportedTensor {
        var dtype: SafetensorsDType
        var bytes: [UInt8]
        switch info.type {
        case .f32: (dtype, bytes) = (.float32, file.rawBytes(info))
        case .f16: (dtype, bytes) = (.float16, file.rawBytes(info))
        case .bf16: (dtype, bytes) = (.bfloat16, file.rawBytes(info))
        case .q8_0, .q4_0, .q4_1, .q4_K, .q5_K, .q6_K: (dtype, bytes) = (.float32, file.floats(info).withUnsafeBytes { Array($0) })
        }
        if let heads = unpermuteHeads {
            let shape = info.shape
            guard shape.count == 2, let undone = unpermuteRows(bytes, rows: shape[0], rowBytes: shape[1] * dtype.byteSize, heads: heads) else {
                throw ZooError.invalidInput(path: file.path, "tensor '\(info.name)' of shape \(info.shape) cannot be split into \(heads) heads with two rotary halves")
            }
            bytes = undone
        }
        return ImportedTensor(name: name, dtype: dtype, shape: info.shape, bytes: bytes)
    }

    /// llama.cpp's converter stores row `2i + j` of each head where HF has row `j·half + i`.
    static func unpermuteRows(_ bytes: [UInt8], rows: Int, rowBytes: Int, heads: Int) -> [UInt8]? {
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0, bytes.count == rows * rowBytes else { return nil }
        let headDim = rows / heads, half = headDim / 2
        var out = [UInt8](repeating: 0, count: bytes.count)
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let source = (h * headDim + i * 2 + j) * rowBytes, target = (h * headDim + j * half + i) * rowBytes
                    out[target..<target + rowBytes] = bytes[source..<source + rowBytes]
                }
            }
        }
        return out
    }

    static func hfName(_ name: String) -> String {
        let fixed = ["token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight", "output.weight": "lm_head.weight"]
        if let mapped = fixed[name] { return mapped }
        let parts = name.split(separator: ".")
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]) else { return name }
        let modules = ["attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                       "attn_output": "self_attn.o_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                       "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"]
        guard let module = modules[String(parts[2])] else { return name }
        return "model.layers.\(layer).\(module)." + parts[3...].joined(separator: ".")
    }

    static func llamaConfig(_ file: GGUFFile) throws -> JSONValue {
        func int(_ key: String) throws -> JSONValue {
            guard let value = file.metadata["llama." + key]?.intValue else {
                throw ZooError.invalidInput(path: file.path, "metadata key 'llama.\(key)' is missing or not an integer")
            }
            return .int(Int64(value))
        }
        let vocabulary = file.metadata["llama.vocab_size"]?.intValue ?? file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count ?? 0
        let heads = try int("attention.head_count")
        var config: [String: JSONValue] = [
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": try int("embedding_length"), "intermediate_size": try int("feed_forward_length"),
            "num_hidden_layers": try int("block_count"), "num_attention_heads": heads,
            "num_key_value_heads": (try? int("attention.head_count_kv")) ?? heads,
            "max_position_embeddings": try int("context_length"), "vocab_size": .int(Int64(vocabulary)),
            "tie_word_embeddings": .bool(!file.tensors.contains { $0.name == "output.weight" }),
        ]
        if let theta = file.metadata["llama.rope.freq_base"]?.doubleValue { config["rope_theta"] = .double(theta) }
        if let epsilon = file.metadata["llama.attention.layer_norm_rms_epsilon"]?.doubleValue { config["rms_norm_eps"] = .double(epsilon) }
        for (key, field) in [("tokenizer.ggml.bos_token_id", "bos_token_id"), ("tokenizer.ggml.eos_token_id", "eos_token_id")] {
            if let id = file.metadata[key]?.intValue { config[field] = .int(Int64(id)) }
        }
        return .object(config)
    }

    static func json(_ value: GGUFValue) -> JSONValue {
        switch value {
        case .uint(let v): Int64(exactly: v).map(JSONValue.int) ?? .double(Double(v))
        case .int(let v): .int(v)
        case .float(let v): .double(v)
        case .bool(let v): .bool(v)
        case .string(let v): .string(v)
        case .array(let items): .array(items.map(json))
        }
    }
}
