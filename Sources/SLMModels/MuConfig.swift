import SLMTensor

/// Hyper-parameters of the Mu encoder–decoder, with the seed's `MuConfig` field names
/// (seed-spec §1.1, §1.7) as JSON keys. Defaults are the released 330M Mu-text model.
///
/// In an HF-style folder, config.json carries these fields plus `"model_type": "mu"` and
/// optionally `bos_token_id` (default 1) and `eos_token_id` (default 32000). Missing fields
/// take the defaults below; unknown fields are ignored, as HF does.
public struct MuConfig: Codable, Sendable, Hashable {
    public var nEncoderLayer = 20
    public var nDecoderLayer = 10
    /// Residual width d.
    public var nEmbd = 1024
    /// Attention inner width (Q and out-projection input); head width = qkvEmbd / nHead.
    public var qkvEmbd = 384
    /// KV-head order: false = Mu-text (query head h uses KV head h mod G), true = Mu-v2 (⌊h/r⌋).
    public var isInterleaved = false
    /// MLP inner width.
    public var hiddenDim = 4096
    public var nHead = 6
    public var nKVHead = 3
    /// Used only by NTK RoPE scaling (rope_factor > 1).
    public var blockSize = 1024
    /// Attention-probability and MLP-output dropout (training only).
    public var dropout: Float = 0.1
    public var ropeTheta: Float = 10_000
    public var ropeFactor: Float = 1
    /// Also the mask source: ids equal to it are padding (keys masked, targets ignored).
    public var padTokenID = 0
    public var vocabSize = 32128
    public var bosTokenID = 1
    public var eosTokenID = 32000
    /// Mu-v2 has an `lm_head.bias` [vocab]; Mu-text has none.
    public var lmHeadBias = false

    public init() {}

    public init(
        encoderLayers: Int, decoderLayers: Int, width: Int, qkvWidth: Int, heads: Int, kvHeads: Int,
        mlpWidth: Int, vocabSize: Int, dropout: Float = 0, isInterleaved: Bool = false,
        bosTokenID: Int = 1, eosTokenID: Int = 2
    ) {
        nEncoderLayer = encoderLayers
        nDecoderLayer = decoderLayers
        nEmbd = width
        qkvEmbd = qkvWidth
        nHead = heads
        nKVHead = kvHeads
        hiddenDim = mlpWidth
        self.vocabSize = vocabSize
        self.dropout = dropout
        self.isInterleaved = isInterleaved
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    enum CodingKeys: String, CodingKey {
        case nEncoderLayer = "n_encoder_layer", nDecoderLayer = "n_decoder_layer", nEmbd = "n_embd"
        case qkvEmbd = "qkv_embd", isInterleaved = "is_interleaved", hiddenDim = "hidden_dim"
        case nHead = "n_head", nKVHead = "n_kv_head", blockSize = "block_size", dropout
        case ropeTheta = "rope_theta", ropeFactor = "rope_factor", padTokenID = "pad_token_id"
        case vocabSize = "vocab_size", bosTokenID = "bos_token_id", eosTokenID = "eos_token_id"
        case lmHeadBias = "lm_head_bias"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = MuConfig()
        func take<T: Decodable>(_ key: CodingKeys, _ value: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { value = v }
        }
        try take(.nEncoderLayer, &d.nEncoderLayer)
        try take(.nDecoderLayer, &d.nDecoderLayer)
        try take(.nEmbd, &d.nEmbd)
        try take(.qkvEmbd, &d.qkvEmbd)
        try take(.isInterleaved, &d.isInterleaved)
        try take(.hiddenDim, &d.hiddenDim)
        try take(.nHead, &d.nHead)
        try take(.nKVHead, &d.nKVHead)
        try take(.blockSize, &d.blockSize)
        try take(.dropout, &d.dropout)
        try take(.ropeTheta, &d.ropeTheta)
        try take(.ropeFactor, &d.ropeFactor)
        try take(.padTokenID, &d.padTokenID)
        try take(.vocabSize, &d.vocabSize)
        try take(.bosTokenID, &d.bosTokenID)
        try take(.eosTokenID, &d.eosTokenID)
        try take(.lmHeadBias, &d.lmHeadBias)
        self = d
        if let problem = validationProblem {
            throw DecodingError.dataCorruptedError(forKey: .nHead, in: c, debugDescription: problem)
        }
    }

    /// Why this configuration cannot build a model, or nil.
    public var validationProblem: String? {
        if nEncoderLayer < 0 || nDecoderLayer < 0 { return "layer counts must be ≥ 0" }
        if nEmbd <= 0 || qkvEmbd <= 0 || hiddenDim <= 0 || vocabSize <= 0 { return "widths and vocab_size must be positive" }
        if nHead <= 0 || nKVHead <= 0 || nHead % nKVHead != 0 {
            return "n_head (\(nHead)) must be a positive multiple of n_kv_head (\(nKVHead))"
        }
        if qkvEmbd % nHead != 0 { return "qkv_embd (\(qkvEmbd)) must be divisible by n_head (\(nHead))" }
        if (qkvEmbd / nHead) % 2 != 0 { return "head width qkv_embd/n_head = \(qkvEmbd / nHead) must be even for RoPE" }
        if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) outside [0, 1)" }
        for (name, id) in [("pad_token_id", padTokenID), ("bos_token_id", bosTokenID), ("eos_token_id", eosTokenID)]
        where id < 0 || id >= vocabSize {
            return "\(name) \(id) outside the vocabulary of \(vocabSize)"
        }
        return nil
    }

    public var headDim: Int { qkvEmbd / nHead }
    public var kvWidth: Int { nKVHead * headDim }
    public var kvMapping: KVHeadMapping { isInterleaved ? .repeatInterleaved : .concatenatedCopies }

    // MARK: Parameter counts (seed-spec §1.5)

    /// ln1, ln2, attention (q, k, v, out with biases), MLP (fc1, fc2 with biases).
    public var encoderBlockParameters: Int { 2 * nEmbd + attentionParameters + mlpParameters }
    /// ln1–ln3, causal and cross attention, MLP.
    public var decoderBlockParameters: Int { 3 * nEmbd + 2 * attentionParameters + mlpParameters }
    public var attentionParameters: Int {
        (nEmbd * qkvEmbd + qkvEmbd) + 2 * (nEmbd * kvWidth + kvWidth) + (qkvEmbd * nEmbd + nEmbd)
    }
    public var mlpParameters: Int { (nEmbd * hiddenDim + hiddenDim) + (hiddenDim * nEmbd + nEmbd) }
    /// Tied embedding counted once, both final norms, the optional lm_head bias.
    public var parameterCount: Int {
        vocabSize * nEmbd + nEncoderLayer * encoderBlockParameters + nDecoderLayer * decoderBlockParameters
            + 2 * nEmbd + (lmHeadBias ? vocabSize : 0)
    }
}
