import Foundation
import SLMCore
import SLMModels

/// A model's configuration without its weights: what the estimates compute with.
enum ModelShape {
    case mu(MuConfig)
    case decoderOnly(DecoderOnlyConfig)
    case llama(LlamaConfig)

    /// From config.json fields (`model_type` mu, mu_decoder_only, llama or phi3); nil for others.
    init?(config: [String: JSONValue]) {
        let data = Data(JSONValue.object(config).canonicalText.utf8)
        switch config["model_type"]?.stringValue {
        case "mu": guard let c = try? JSONDecoder().decode(MuConfig.self, from: data) else { return nil }; self = .mu(c)
        case "mu_decoder_only": guard let c = try? JSONDecoder().decode(DecoderOnlyConfig.self, from: data) else { return nil }; self = .decoderOnly(c)
        case "llama", "phi3": guard let c = try? JSONDecoder().decode(LlamaConfig.self, from: data) else { return nil }; self = .llama(c)
        default: return nil
        }
    }

    /// The config.json of a model folder, if it is there.
    init?(folder: String) {
        guard let data = FileManager.default.contents(atPath: folder + "/" + ModelFolder.configFile),
              let object = (try? JSONDecoder().decode(JSONValue.self, from: data))?.objectValue else { return nil }
        self.init(config: object)
    }

    /// config.json's fields with `model_type`, as a fact for downstream estimates.
    var config: JSONValue {
        let encoded: Data?
        let type: String
        switch self {
        case .mu(let c): (encoded, type) = (try? JSONEncoder().encode(c), "mu")
        case .decoderOnly(let c): (encoded, type) = (try? JSONEncoder().encode(c), "mu_decoder_only")
        case .llama(let c): (encoded, type) = (try? JSONEncoder().encode(c), c.modelType)
        }
        var object = encoded.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }?.objectValue ?? [:]
        object["model_type"] = .string(type)
        return .object(object)
    }

    var isEncoderDecoder: Bool { if case .mu = self { return true } else { return false } }

    var parameterCount: Int {
        switch self {
        case .mu(let c): return c.parameterCount
        case .decoderOnly(let c): return c.parameterCount
        case .llama(let c): return c.parameterCount
        }
    }

    var vocabSize: Int {
        switch self {
        case .mu(let c): return c.vocabSize
        case .decoderOnly(let c): return c.widths.vocabSize
        case .llama(let c): return c.vocabSize
        }
    }

    /// Parameters read for each generated token.
    var decodingStepParameters: Int {
        switch self {
        case .mu(let c): return c.decodingStepParameters
        case .decoderOnly(let c): return c.decodingStepParameters
        case .llama(let c): return c.decodingStepParameters
        }
    }

    /// One forward pass over `batch` rows of a `source` prompt and `target` following ids
    /// (a Mu encodes the source and decodes the target; the others read both as one sequence).
    func forwardFlops(batch: Int, source: Int, target: Int) -> Double {
        switch self {
        case .mu(let c): return c.forwardFlops(batch: batch, source: source, target: target)
        case .decoderOnly(let c): return c.forwardFlops(batch: batch, length: source + target)
        case .llama(let c): return c.forwardFlops(batch: batch, length: source + target)
        }
    }

    /// Floats the tape keeps for the backward pass of one micro-batch: per layer and row the
    /// inputs and outputs of norms, projections, attention and MLP, the attention weights
    /// (scores, probabilities, dropout) and the logits with their softmax and gradient. A rough
    /// count: against the measured peaks of docs/performance.md (Mu 4+2 and its 7-layer
    /// baseline, batch 16 × 256 + 32) it comes within 15%.
    func activationFloats(batch: Int, source: Int, target: Int) -> Double {
        let b = Double(batch), s = Double(source), t = Double(target)
        switch self {
        case .mu(let c):
            let d = Double(c.nEmbd), q = Double(c.qkvEmbd), m = Double(c.hiddenDim), h = Double(c.nHead), kv = Double(c.kvWidth)
            let encoder = Double(c.nEncoderLayer) * (b * s * (8 * d + 3 * q + 3 * m) + 3 * b * h * s * s)
            let decoder = Double(c.nDecoderLayer) * (b * t * (11 * d + 6 * q + 3 * m) + 3 * b * h * (t * t + t * s) + 4 * b * s * kv)
            return encoder + decoder + 3 * b * t * Double(c.vocabSize)
        case .decoderOnly(let o):
            let c = o.widths, l = s + t
            let d = Double(c.nEmbd), q = Double(c.qkvEmbd), m = Double(c.hiddenDim), h = Double(c.nHead)
            return Double(o.nLayer) * (b * l * (8 * d + 3 * q + 3 * m) + 3 * b * h * l * l) + 3 * b * l * Double(c.vocabSize)
        case .llama(let c):
            let l = s + t, d = Double(c.hiddenSize), q = Double(c.numAttentionHeads * c.headDim), m = Double(c.intermediateSize)
            return Double(c.numHiddenLayers) * (b * l * (8 * d + 3 * q + 4 * m) + 3 * b * Double(c.numAttentionHeads) * l * l)
                + 3 * b * l * Double(c.vocabSize)
        }
    }

    /// Floats held while decoding `batch` rows: the KV caches (a Mu's cross-attention keys and
    /// values of the source too), the prompt's activations for one layer, and the logits.
    func inferenceFloats(batch: Int, source: Int, target: Int) -> Double {
        let b = Double(batch), s = Double(source), t = Double(target)
        switch self {
        case .mu(let c):
            let kv = Double(c.kvWidth), d = Double(c.nEmbd), m = Double(c.hiddenDim)
            return Double(c.nDecoderLayer) * 2 * b * kv * (s + t) + b * s * (4 * d + m) + b * s * Double(c.nHead) * s + b * Double(c.vocabSize)
        case .decoderOnly(let o):
            let c = o.widths, l = s + t
            return Double(o.nLayer) * 2 * b * Double(c.kvWidth) * l + b * l * (4 * Double(c.nEmbd) + Double(c.hiddenDim))
                + b * l * Double(c.nHead) * l + b * Double(c.vocabSize)
        case .llama(let c):
            let l = s + t
            return Double(c.numHiddenLayers) * 2 * b * Double(c.kvHeads * c.headDim) * l
                + b * l * (4 * Double(c.hiddenSize) + 2 * Double(c.intermediateSize)) + b * l * Double(c.numAttentionHeads) * l
                + b * Double(c.vocabSize)
        }
    }
}
