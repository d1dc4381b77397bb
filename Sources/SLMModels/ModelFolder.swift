import Foundation
import SLMCore
import SLMFormats
import SLMTensor

/// Any model this engine runs.
public enum AnyModel {
    case mu(MuModel)
    case decoderOnly(DecoderOnlyModel)
    case llama(LlamaModel)

    public var container: ParameterContainer {
        switch self {
        case .mu(let m): return m
        case .decoderOnly(let m): return m
        case .llama(let m): return m
        }
    }

    public var modelType: String {
        switch self {
        case .mu: return "mu"
        case .decoderOnly: return "mu_decoder_only"
        case .llama(let m): return m.config.modelType
        }
    }

    public var vocabSize: Int {
        switch self {
        case .mu(let m): return m.config.vocabSize
        case .decoderOnly(let m): return m.config.widths.vocabSize
        case .llama(let m): return m.config.vocabSize
        }
    }
}

/// A loading problem, naming the folder, file and full tensor key.
public struct ModelLoadError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "cannot load model from \(path): \(message)" }
}

/// HF-style model folders: config.json (`model_type` "mu", "mu_decoder_only", "llama" or
/// "phi3"), weights in model.safetensors or shards listed by model.safetensors.index.json,
/// optional tokenizer.json. Weights of any float dtype (F32, F16, BF16) load as fp32.
///
/// Loading is strict: a tensor the model lacks, a parameter no file provides, or a shape
/// mismatch is an error naming the full key (and both shapes). Per-model "sanitize" rules,
/// kept in one place: Mu's `lm_head.weight` is the alias of `transformer.wte.weight`; HF's
/// `*.rotary_emb.inv_freq` buffers are dropped; a tied Llama ignores a stored `lm_head.weight`
/// of the right shape; Phi-3's fused `qkv_proj` and `gate_up_proj` are split.
public enum ModelFolder {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let indexFile = "model.safetensors.index.json"
    public static let tokenizerFile = "tokenizer.json"

    // MARK: Loading

    public static func load(_ folder: String) throws -> AnyModel {
        let configPath = folder + "/" + configFile
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelLoadError(folder, "no \(configFile) in the folder")
        }
        let type = try modelType(data, path: configPath)
        let model: AnyModel
        do {
            switch type {
            case "mu": model = .mu(MuModel(config: try JSONDecoder().decode(MuConfig.self, from: data), seed: nil))
            case "mu_decoder_only":
                model = .decoderOnly(DecoderOnlyModel(config: try JSONDecoder().decode(DecoderOnlyConfig.self, from: data), seed: nil))
            case "llama", "phi3":
                model = .llama(LlamaModel(config: try JSONDecoder().decode(LlamaConfig.self, from: data), seed: nil))
            default:
                throw ModelLoadError(folder, "\(configFile): model_type \"\(type)\" is not supported (mu, mu_decoder_only, llama, phi3)")
            }
        } catch let error as DecodingError {
            throw ModelLoadError(folder, "\(configFile): \(JSONFiles.describe(error))")
        }
        let tensors = try openWeights(folder)
        try assign(tensors, to: model, folder: folder)
        return model
    }

    public static func hasTokenizer(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/" + tokenizerFile)
    }

    static func modelType(_ data: Data, path: String) throws -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelLoadError(path, "not a JSON object")
        }
        if let type = object["model_type"] as? String { return type }
        if object[SeedMuConfig.markerKey] != nil { return SeedMuConfig.modelType }
        throw ModelLoadError(path, "no \"model_type\" string (and not the seed's MuConfig fields)")
    }

    /// Tensor name → the file holding it.
    struct WeightSet {
        var files: [String: SafetensorsFile] = [:]
        var location: [String: String] = [:]

        func entry(_ name: String) throws -> SafetensorsEntry? {
            guard let file = location[name], let st = files[file] else { return nil }
            return try st.entry(name)
        }
        func tensor(_ name: String) throws -> Tensor {
            guard let file = location[name], let st = files[file] else {
                throw SafetensorsError(.missingTensor, path: ModelFolder.weightsFile, tensor: name, "no such tensor in the weights")
            }
            return try st.tensor(name)
        }
    }

    static func openWeights(_ folder: String) throws -> WeightSet {
        var set = WeightSet()
        let fm = FileManager.default
        let single = folder + "/" + weightsFile, index = folder + "/" + indexFile
        var shardNames: [String]
        if fm.fileExists(atPath: single) {
            shardNames = [weightsFile]
        } else if let data = fm.contents(atPath: index) {
            guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let map = object["weight_map"] as? [String: String]
            else { throw ModelLoadError(folder, "\(indexFile) has no \"weight_map\" object of strings") }
            shardNames = Array(Set(map.values)).sorted()
            for shard in shardNames where shard.contains("/") || shard.hasPrefix(".") {
                throw ModelLoadError(folder, "\(indexFile) names shard \"\(shard)\" outside the folder")
            }
        } else {
            throw ModelLoadError(folder, "neither \(weightsFile) nor \(indexFile) is present")
        }
        // Every tensor in every shard counts (an index naming a subset would otherwise hide extras).
        for shard in shardNames {
            let file: SafetensorsFile
            do { file = try SafetensorsFile(path: folder + "/" + shard) } catch { throw ModelLoadError(folder, "\(error)") }
            set.files[shard] = file
            for name in file.names {
                if let other = set.location[name] {
                    throw ModelLoadError(folder, "tensor '\(name)' is in both \(other) and \(shard)")
                }
                set.location[name] = shard
            }
        }
        return set
    }

    static func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    static func assign(_ weights: WeightSet, to model: AnyModel, folder: String) throws {
        var remaining = Set(weights.location.keys)

        func copy(_ name: String, into p: Parameter, rows: Range<Int>? = nil) throws {
            guard let e = try weights.entry(name) else { throw ModelLoadError(folder, "missing tensor '\(name)'") }
            guard e.dtype.isFloatingPoint else {
                throw ModelLoadError(folder, "tensor '\(name)' has integer dtype \(e.dtype.rawValue)")
            }
            let t = try weights.tensor(name)
            if let rows {
                let cols = p.shape.count == 2 ? p.shape[1] : 1
                guard e.shape.count == p.shape.count, e.shape.count == 2, e.shape[1] == cols, rows.upperBound <= e.shape[0] else {
                    throw ModelLoadError(folder, "tensor '\(name)' has shape \(shapeText(e.shape)); splitting it into '\(p.name)' \(shapeText(p.shape)) needs [≥\(rows.upperBound), \(cols)]")
                }
                p.value.data.update(from: t.data + rows.lowerBound * cols, count: rows.count * cols)
            } else {
                guard e.shape == p.shape else {
                    throw ModelLoadError(folder, "shape mismatch for '\(name)': the file has \(shapeText(e.shape)), the model expects \(shapeText(p.shape))")
                }
                p.value.data.update(from: t.data, count: p.value.count)
            }
            remaining.remove(name)
        }

        // Sanitize: names that are not parameters but are allowed.
        for name in remaining where name.hasSuffix(".rotary_emb.inv_freq") { remaining.remove(name) }
        var handled = Set<String>()

        /// A stored alias of a tied matrix: shape-checked, used only when the table itself is absent.
        func tiedAlias(_ alias: String, of table: Parameter) throws {
            guard let e = try weights.entry(alias) else { return }
            guard e.shape == table.shape else {
                throw ModelLoadError(folder, "shape mismatch for '\(alias)' (tied to \(table.name)): the file has \(shapeText(e.shape)), the model expects \(shapeText(table.shape))")
            }
            if weights.location[table.name] == nil {
                try copy(alias, into: table)
                handled.insert(table.name)
            }
            remaining.remove(alias)
        }

        switch model {
        case .mu(let m):
            try tiedAlias("lm_head.weight", of: m.wte)
        case .decoderOnly(let m):
            try tiedAlias("lm_head.weight", of: m.wte)
        case .llama(let m):
            if m.lmHead == nil { try tiedAlias("lm_head.weight", of: m.embedTokens) }
            if m.config.isFused {
                let c = m.config
                let q = c.numAttentionHeads * c.headDim, kv = c.kvHeads * c.headDim
                for (i, layer) in m.layers.enumerated() {
                    let prefix = "model.layers.\(i)"
                    let qkv = prefix + ".self_attn.qkv_proj.weight"
                    try copy(qkv, into: layer.attn.q.weight, rows: 0..<q)
                    try copy(qkv, into: layer.attn.k.weight, rows: q..<(q + kv))
                    try copy(qkv, into: layer.attn.v.weight, rows: (q + kv)..<(q + 2 * kv))
                    try checkRows(qkv, q + 2 * kv, weights, folder)
                    let gateUp = prefix + ".mlp.gate_up_proj.weight"
                    try copy(gateUp, into: layer.gate.weight, rows: 0..<c.intermediateSize)
                    try copy(gateUp, into: layer.up.weight, rows: c.intermediateSize..<(2 * c.intermediateSize))
                    try checkRows(gateUp, 2 * c.intermediateSize, weights, folder)
                    handled.formUnion([layer.attn.q.weight.name, layer.attn.k.weight.name, layer.attn.v.weight.name,
                                       layer.gate.weight.name, layer.up.weight.name])
                    if c.attentionBias {
                        let qkvBias = prefix + ".self_attn.qkv_proj.bias"
                        if let qb = layer.attn.q.bias, let kb = layer.attn.k.bias, let vb = layer.attn.v.bias {
                            try copyVector(qkvBias, [(qb, 0), (kb, q), (vb, q + kv)], total: q + 2 * kv, weights, folder)
                            remaining.remove(qkvBias)
                            handled.formUnion([qb.name, kb.name, vb.name])
                        }
                    }
                }
            }
        }

        for p in model.container.parameters where !handled.contains(p.name) {
            try copy(p.name, into: p)
        }
        if let extra = remaining.sorted().first {
            let more = remaining.count > 1 ? " (and \(remaining.count - 1) more)" : ""
            throw ModelLoadError(folder, "unexpected tensor '\(extra)'\(more) in \(weights.location[extra] ?? weightsFile): the \(model.modelType) model has no such parameter")
        }
    }

    private static func checkRows(_ name: String, _ rows: Int, _ weights: WeightSet, _ folder: String) throws {
        guard let e = try weights.entry(name), e.shape.first == rows else {
            let shape = try weights.entry(name)?.shape ?? []
            throw ModelLoadError(folder, "shape mismatch for '\(name)': the file has \(shapeText(shape)), the model expects \(rows) rows")
        }
    }

    private static func copyVector(_ name: String, _ parts: [(Parameter, Int)], total: Int, _ weights: WeightSet, _ folder: String) throws {
        guard let e = try weights.entry(name) else { throw ModelLoadError(folder, "missing tensor '\(name)'") }
        guard e.shape == [total] else {
            throw ModelLoadError(folder, "shape mismatch for '\(name)': the file has \(shapeText(e.shape)), the model expects [\(total)]")
        }
        let t = try weights.tensor(name)
        for (p, offset) in parts { p.value.data.update(from: t.data + offset, count: p.value.count) }
    }

    // MARK: Saving

    /// Writes config.json and model.safetensors (F32 or BF16) into `folder` (created if needed).
    /// Tied heads are stored once; Phi-3 models are written fused, as HF expects.
    public static func save(_ model: AnyModel, to folder: String, storage: SafetensorsWriter.StorageType = .float32) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var config: [String: Any]
        let encoder = JSONEncoder()
        switch model {
        case .mu(let m): config = try jsonObject(encoder.encode(m.config))
        case .decoderOnly(let m): config = try jsonObject(encoder.encode(m.config))
        case .llama(let m): config = try jsonObject(encoder.encode(m.config))
        }
        config["model_type"] = model.modelType
        let text = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(text + Data("\n".utf8), to: folder + "/" + configFile)
        try SafetensorsWriter.write(stateDict(model), to: folder + "/" + weightsFile, as: storage,
                                    metadata: ["format": "pt"])
    }

    /// The tensors as they are stored on disk (checkpoint names).
    public static func stateDict(_ model: AnyModel) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for p in model.container.parameters { out[p.name] = p.value }
        if case .llama(let m) = model, m.config.isFused {
            let c = m.config
            for (i, layer) in m.layers.enumerated() {
                let prefix = "model.layers.\(i)"
                out[prefix + ".self_attn.qkv_proj.weight"] = concatRows([layer.attn.q.weight.value, layer.attn.k.weight.value, layer.attn.v.weight.value])
                out[prefix + ".mlp.gate_up_proj.weight"] = concatRows([layer.gate.weight.value, layer.up.weight.value])
                for name in [layer.attn.q.weight.name, layer.attn.k.weight.name, layer.attn.v.weight.name,
                             layer.gate.weight.name, layer.up.weight.name] { out[name] = nil }
                if c.attentionBias, let qb = layer.attn.q.bias, let kb = layer.attn.k.bias, let vb = layer.attn.v.bias {
                    out[prefix + ".self_attn.qkv_proj.bias"] = concatRows([qb.value, kb.value, vb.value])
                    for name in [qb.name, kb.name, vb.name] { out[name] = nil }
                }
            }
        }
        return out
    }

    static func concatRows(_ parts: [Tensor]) -> Tensor {
        let rows = parts.reduce(0) { $0 + ($1.shape.count == 2 ? $1.shape[0] : $1.count) }
        let shape = parts[0].shape.count == 2 ? [rows, parts[0].shape[1]] : [rows]
        let out = Tensor(zeros: shape)
        var offset = 0
        for p in parts {
            (out.data + offset).update(from: p.data, count: p.count)
            offset += p.count
        }
        return out
    }

    private static func jsonObject(_ data: Data) throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
