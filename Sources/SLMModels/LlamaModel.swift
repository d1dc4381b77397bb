import Foundation
import SLMCore
import SLMTensor

// Llama-family decoder-only models (port of transformers' modeling_llama.py / modeling_phi3.py):
// RMSNorm, SwiGLU MLP, rotate-half RoPE from position 0, GQA with repeat_interleave KV order,
// optional q/k/v bias, tied or untied lm_head. Used as distillation teachers (SmolLM2, Phi-3).

/// HF config.json of a Llama-family model, under HF's field names.
public struct LlamaConfig: Codable, Sendable, Hashable {
    /// "llama" or "phi3" (Phi-3 checkpoints store fused qkv_proj / gate_up_proj, split on load).
    public var modelType = "llama"
    public var hiddenSize = 576
    public var intermediateSize = 1536
    public var numHiddenLayers = 30
    public var numAttentionHeads = 9
    public var numKeyValueHeads: Int?
    public var headDimension: Int?
    public var rmsNormEps: Float = 1e-6
    public var ropeTheta: Float = 10_000
    public var vocabSize = 49152
    public var tieWordEmbeddings = false
    public var attentionBias = false
    public var mlpBias = false
    public var hiddenAct = "silu"
    public var maxPositionEmbeddings = 2048
    /// HF's `sliding_window` (Phi-3, Mistral): the query at position p sees keys
    /// p − window < j ≤ p, in every layer (transformers' `sliding_window_overlay`).
    public var slidingWindow: Int?
    public var originalMaxPositionEmbeddings: Int?
    public var ropeScaling: JSONValue?
    public var bosTokenID: JSONValue?
    public var eosTokenID: JSONValue?
    public var padTokenID: JSONValue?

    public init() {}

    public init(layers: Int, hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, vocabSize: Int,
                tied: Bool, attentionBias: Bool = false, modelType: String = "llama") {
        numHiddenLayers = layers
        hiddenSize = hidden
        intermediateSize = intermediate
        numAttentionHeads = heads
        numKeyValueHeads = kvHeads
        self.vocabSize = vocabSize
        tieWordEmbeddings = tied
        self.attentionBias = attentionBias
        self.modelType = modelType
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDimension = "head_dim", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", vocabSize = "vocab_size", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
        case bosTokenID = "bos_token_id", eosTokenID = "eos_token_id", padTokenID = "pad_token_id"
        case partialRotaryFactor = "partial_rotary_factor", slidingWindow = "sliding_window"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = LlamaConfig()
        func take<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try take(.modelType, &d.modelType)
        try take(.hiddenSize, &d.hiddenSize)
        try take(.intermediateSize, &d.intermediateSize)
        try take(.numHiddenLayers, &d.numHiddenLayers)
        try take(.numAttentionHeads, &d.numAttentionHeads)
        d.numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads)
        d.headDimension = try c.decodeIfPresent(Int.self, forKey: .headDimension)
        try take(.rmsNormEps, &d.rmsNormEps)
        try take(.ropeTheta, &d.ropeTheta)
        try take(.vocabSize, &d.vocabSize)
        try take(.tieWordEmbeddings, &d.tieWordEmbeddings)
        try take(.attentionBias, &d.attentionBias)
        try take(.mlpBias, &d.mlpBias)
        try take(.hiddenAct, &d.hiddenAct)
        try take(.maxPositionEmbeddings, &d.maxPositionEmbeddings)
        d.originalMaxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositionEmbeddings)
        d.slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        d.ropeScaling = try c.decodeIfPresent(JSONValue.self, forKey: .ropeScaling)
        // transformers ≥ 5 keeps θ and the scaling under "rope_parameters".
        if let params = try c.decodeIfPresent(JSONValue.self, forKey: .ropeParameters), case .object(let o) = params {
            if let theta = o["rope_theta"]?.doubleValue { d.ropeTheta = Float(theta) }
            if let type = o["rope_type"]?.stringValue, type != "default" { d.ropeScaling = params }
        }
        if case .object(let o)? = d.ropeScaling, o["type"]?.stringValue == nil, o["rope_type"]?.stringValue == nil {
            d.ropeScaling = nil
        }
        if d.ropeScaling == .null { d.ropeScaling = nil }
        d.bosTokenID = try c.decodeIfPresent(JSONValue.self, forKey: .bosTokenID)
        d.eosTokenID = try c.decodeIfPresent(JSONValue.self, forKey: .eosTokenID)
        d.padTokenID = try c.decodeIfPresent(JSONValue.self, forKey: .padTokenID)
        if let prf = try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor), prf != 1 {
            throw DecodingError.dataCorruptedError(
                forKey: .partialRotaryFactor, in: c, debugDescription: "partial_rotary_factor \(prf) is not supported (only 1.0)")
        }
        self = d
        if let problem = validationProblem {
            throw DecodingError.dataCorruptedError(forKey: .numAttentionHeads, in: c, debugDescription: problem)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(kvHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDimension)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode(mlpBias, forKey: .mlpBias)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encodeIfPresent(originalMaxPositionEmbeddings, forKey: .originalMaxPositionEmbeddings)
        try c.encodeIfPresent(slidingWindow, forKey: .slidingWindow)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encodeIfPresent(bosTokenID, forKey: .bosTokenID)
        try c.encodeIfPresent(eosTokenID, forKey: .eosTokenID)
        try c.encodeIfPresent(padTokenID, forKey: .padTokenID)
    }

    public var kvHeads: Int { numKeyValueHeads ?? numAttentionHeads }
    public var headDim: Int { headDimension ?? hiddenSize / max(numAttentionHeads, 1) }
    public var isFused: Bool { modelType == "phi3" }

    public var validationProblem: String? {
        if !["llama", "phi3"].contains(modelType) { return "model_type \"\(modelType)\" is not a Llama-family type" }
        if hiddenSize <= 0 || intermediateSize <= 0 || vocabSize <= 0 || numHiddenLayers < 0 {
            return "sizes must be positive"
        }
        if numAttentionHeads <= 0 || kvHeads <= 0 || numAttentionHeads % kvHeads != 0 {
            return "num_attention_heads (\(numAttentionHeads)) must be a positive multiple of num_key_value_heads (\(kvHeads))"
        }
        if headDim <= 0 || headDim % 2 != 0 { return "head_dim \(headDim) must be positive and even" }
        if hiddenAct != "silu" { return "hidden_act \"\(hiddenAct)\" is not supported (only silu)" }
        if let w = slidingWindow, w <= 0 { return "sliding_window \(w) must be positive (or null for full attention)" }
        if let problem = ropeScalingProblem { return problem }
        return nil
    }

    /// BOS id (first of a list), if any.
    public var bos: Int? { Self.ids(bosTokenID).first }
    /// Every EOS id (HF allows a list).
    public var eosIDs: [Int] { Self.ids(eosTokenID) }

    static func ids(_ value: JSONValue?) -> [Int] {
        switch value {
        case .int(let v)?: return [Int(v)]
        case .array(let a)?: return a.compactMap { $0.intValue.map(Int.init) }
        default: return []
        }
    }

    var ropeType: String {
        guard case .object(let o)? = ropeScaling else { return "default" }
        return o["rope_type"]?.stringValue ?? o["type"]?.stringValue ?? "default"
    }

    private var ropeScalingProblem: String? {
        switch ropeType {
        case "default", "linear", "llama3": return nil
        case "longrope", "su":
            guard case .object(let o)? = ropeScaling,
                  o["short_factor"]?.arrayValue?.count == headDim / 2, o["long_factor"]?.arrayValue?.count == headDim / 2
            else { return "rope_scaling longrope needs short_factor and long_factor lists of head_dim/2 = \(headDim / 2) numbers" }
            return nil
        default: return "rope_scaling type \"\(ropeType)\" is not supported (default, linear, llama3, longrope)"
        }
    }

    /// RoPE tables for positions, following transformers' `ROPE_INIT_FUNCTIONS`. Longrope picks
    /// the long factors when `totalLength` exceeds original_max_position_embeddings.
    public func ropeTables(positions: [Int], totalLength: Int) -> RoPETables {
        let half = headDim / 2
        var invFreq = (0..<half).map { k in 1 / Double(ropeTheta).power(Double(2 * k) / Double(headDim)) }
        var magnitude = 1.0
        let o = ropeScaling?.objectValue ?? [:]
        func number(_ key: String) -> Double? { o[key]?.doubleValue ?? o[key]?.intValue.map(Double.init) }
        switch ropeType {
        case "linear":
            let factor = number("factor") ?? 1
            invFreq = invFreq.map { $0 / factor }
        case "llama3":
            let factor = number("factor") ?? 8, low = number("low_freq_factor") ?? 1, high = number("high_freq_factor") ?? 4
            let old = number("original_max_position_embeddings") ?? 8192
            let lowWavelen = old / low, highWavelen = old / high
            invFreq = invFreq.map { f in
                let wavelen = 2 * Double.pi / f
                if wavelen < highWavelen { return f }
                if wavelen > lowWavelen { return f / factor }
                let smooth = (old / wavelen - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        case "longrope", "su":
            // As transformers' _compute_longrope_parameters: factor defaults to max/original.
            let original = number("original_max_position_embeddings").map(Int.init) ?? originalMaxPositionEmbeddings
                ?? maxPositionEmbeddings
            let factor = number("factor") ?? Double(maxPositionEmbeddings) / Double(original)
            if let given = number("attention_factor") {
                magnitude = given
            } else if factor > 1 {
                magnitude = (1 + log(factor) / log(Double(original))).squareRoot()
            }
            let key = totalLength > original ? "long_factor" : "short_factor"
            let ext = (o[key]?.arrayValue ?? []).map { $0.doubleValue ?? $0.intValue.map(Double.init) ?? 1 }
            invFreq = (0..<half).map { k in
                1 / (ext[k] * Double(ropeTheta).power(Double(2 * k) / Double(headDim)))
            }
        default: break
        }
        return RoPETables(positions: positions, inverseFrequencies: invFreq.map(Float.init), magnitude: Float(magnitude))
    }

    public var parameterCount: Int {
        let h = hiddenSize, q = numAttentionHeads * headDim, kv = kvHeads * headDim
        let attention = h * q + 2 * h * kv + q * h + (attentionBias ? q + 2 * kv : 0)
        let mlp = 3 * h * intermediateSize + (mlpBias ? 2 * intermediateSize + h : 0)
        let layer = attention + mlp + 2 * h
        return vocabSize * h * (tieWordEmbeddings ? 1 : 2) + numHiddenLayers * layer + h
    }
}

/// x += o_proj(attn(input_layernorm(x))); x += down(silu(gate(h)) ⊙ up(h)), h = post_attention_layernorm(x).
public struct LlamaBlock {
    public let inputNorm: RMSNormLayer, attn: AttentionLayer
    public let postAttentionNorm: RMSNormLayer
    public let gate: Linear, up: Linear, down: Linear

    init(_ prefix: String, _ c: LlamaConfig, _ f: inout ParameterFactory) {
        inputNorm = RMSNormLayer(prefix + ".input_layernorm.weight", width: c.hiddenSize, eps: c.rmsNormEps, &f)
        let q = c.numAttentionHeads * c.headDim, kv = c.kvHeads * c.headDim
        attn = AttentionLayer(
            q: Linear(prefix + ".self_attn.q_proj", in: c.hiddenSize, out: q, bias: c.attentionBias, &f),
            k: Linear(prefix + ".self_attn.k_proj", in: c.hiddenSize, out: kv, bias: c.attentionBias, &f),
            v: Linear(prefix + ".self_attn.v_proj", in: c.hiddenSize, out: kv, bias: c.attentionBias, &f),
            out: Linear(prefix + ".self_attn.o_proj", in: q, out: c.hiddenSize, bias: c.attentionBias, &f),
            heads: c.numAttentionHeads, kvHeads: c.kvHeads, mapping: .repeatInterleaved, window: c.slidingWindow)
        postAttentionNorm = RMSNormLayer(prefix + ".post_attention_layernorm.weight", width: c.hiddenSize, eps: c.rmsNormEps, &f)
        gate = Linear(prefix + ".mlp.gate_proj", in: c.hiddenSize, out: c.intermediateSize, bias: c.mlpBias, &f)
        up = Linear(prefix + ".mlp.up_proj", in: c.hiddenSize, out: c.intermediateSize, bias: c.mlpBias, &f)
        down = Linear(prefix + ".mlp.down_proj", in: c.intermediateSize, out: c.hiddenSize, bias: c.mlpBias, &f)
    }

    func callAsFunction(_ x: Variable, batch: Int, rope: RoPETables, keyMask: [Bool]?, _ fp: ForwardPass) -> Variable {
        let t = fp.tape
        let h = inputNorm(x, fp)
        let x1 = t.add(x, attn(query: h, keyValue: h, batch: batch, causal: true, rope: rope, keyMask: keyMask,
                               dropout: 0, fp))
        let h2 = postAttentionNorm(x1, fp)
        return t.add(x1, down(t.swiglu(gate: gate(h2, fp), up: up(h2, fp)), fp))
    }
}

/// Names (HF): model.embed_tokens.weight, model.layers.{i}.{input_layernorm, self_attn.{q,k,v,o}_proj,
/// post_attention_layernorm, mlp.{gate,up,down}_proj}, model.norm.weight, lm_head.weight (untied only).
public final class LlamaModel: ParameterContainer {
    public let config: LlamaConfig
    public let embedTokens: Parameter
    public let layers: [LlamaBlock]
    public let norm: RMSNormLayer
    /// nil when tied to `embedTokens`.
    public let lmHead: Parameter?
    public let parameters: [Parameter]

    public init(config: LlamaConfig, seed: UInt64? = 42) {
        precondition(config.validationProblem == nil, config.validationProblem ?? "")
        self.config = config
        var f = ParameterFactory(seed: seed ?? 0)
        f.unfilled = seed == nil
        embedTokens = f.normal("model.embed_tokens.weight", [config.vocabSize, config.hiddenSize])
        layers = (0..<config.numHiddenLayers).map { LlamaBlock("model.layers.\($0)", config, &f) }
        norm = RMSNormLayer("model.norm.weight", width: config.hiddenSize, eps: config.rmsNormEps, &f)
        lmHead = config.tieWordEmbeddings ? nil : f.normal("lm_head.weight", [config.vocabSize, config.hiddenSize])
        parameters = f.created
    }

    /// ids [B·L] → logits [B·L, vocab]. Positions 0…L−1 in every row (HF without position_ids);
    /// `keyMask` [B·L] (false = padding) is HF's attention_mask.
    public func logits(ids: [Int32], batch: Int, keyMask: [Bool]? = nil, _ fp: ForwardPass) throws -> Variable {
        try validateTokens(ids, vocabSize: config.vocabSize, what: "input")
        precondition(batch > 0 && ids.count % batch == 0, "\(ids.count) ids do not split into batch \(batch)")
        precondition(keyMask == nil || keyMask?.count == ids.count, "key mask needs \(ids.count) entries")
        let length = ids.count / batch
        let rope = config.ropeTables(positions: Array(0..<length), totalLength: length)
        var x = fp.tape.embedding(fp(embedTokens), ids: ids)
        for layer in layers { x = layer(x, batch: batch, rope: rope, keyMask: keyMask, fp) }
        return fp.tape.linear(norm(x, fp), weight: fp(lmHead ?? embedTokens))
    }

    public func loss(ids: [Int32], labels: [Int32], batch: Int, ignoreIndex: Int32 = -100, _ fp: ForwardPass) throws -> Variable {
        for (i, l) in labels.enumerated() where l != ignoreIndex && (l < 0 || Int(l) >= config.vocabSize) {
            throw InvalidTokenError(id: l, position: i, vocabSize: config.vocabSize, what: "labels")
        }
        return fp.tape.crossEntropy(logits: try logits(ids: ids, batch: batch, fp), targets: labels, ignoreIndex: ignoreIndex)
    }
}
