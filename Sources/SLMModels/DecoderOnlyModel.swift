import Foundation
import SLMTensor

/// The decoder-only baseline of the paper's comparison (seed-spec §1.9; its exact shape is
/// not published): Mu decoder blocks without cross-attention, Mu's widths, tokenizer and
/// tied embedding, causal RoPE from 0 over the concatenated input and output.
///
/// config.json: `"model_type": "mu_decoder_only"`, the MuConfig field names for widths, heads,
/// vocabulary and RoPE, and `n_layer` for the depth (n_encoder_layer/n_decoder_layer unused).
public struct DecoderOnlyConfig: Codable, Sendable, Hashable {
    /// Widths, heads, vocabulary, dropout, RoPE and special ids (layer counts ignored).
    public var widths: MuConfig
    public var nLayer: Int

    public init(widths: MuConfig, layers: Int) {
        var w = widths
        w.nEncoderLayer = 0
        w.nDecoderLayer = 0
        self.widths = w
        nLayer = layers
    }

    /// The depth whose parameter count is nearest to `mu`'s (ties go to the shallower model),
    /// with every width of `mu`.
    public static func matching(_ mu: MuConfig) -> DecoderOnlyConfig {
        let base = DecoderOnlyConfig(widths: mu, layers: 0)
        let perLayer = base.blockParameters
        let budget = mu.parameterCount - base.parameterCount
        let lower = max(1, budget / perLayer)
        let candidates = [lower, lower + 1]
        let best = candidates.min { abs(DecoderOnlyConfig(widths: mu, layers: $0).parameterCount - mu.parameterCount)
            < abs(DecoderOnlyConfig(widths: mu, layers: $1).parameterCount - mu.parameterCount) } ?? lower
        return DecoderOnlyConfig(widths: mu, layers: best)
    }

    /// ln1, ln2, causal attention, MLP.
    public var blockParameters: Int { 2 * widths.nEmbd + widths.attentionParameters + widths.mlpParameters }
    public var parameterCount: Int {
        widths.vocabSize * widths.nEmbd + nLayer * blockParameters + widths.nEmbd + (widths.lmHeadBias ? widths.vocabSize : 0)
    }

    enum CodingKeys: String, CodingKey { case nLayer = "n_layer" }

    public init(from decoder: Decoder) throws {
        let widths = try MuConfig(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let layers = try c.decode(Int.self, forKey: .nLayer)
        guard layers >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .nLayer, in: c, debugDescription: "n_layer must be ≥ 0")
        }
        self.init(widths: widths, layers: layers)
    }

    public func encode(to encoder: Encoder) throws {
        try widths.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(nLayer, forKey: .nLayer)
    }
}

/// Names: transformer.wte.weight (tied), transformer.h.{i}.{ln1,causal_attn,ln2,mlp}.*,
/// transformer.ln_f.weight.
public final class DecoderOnlyModel: ParameterContainer {
    public let config: DecoderOnlyConfig
    public let wte: Parameter
    public let blocks: [SelfAttentionBlock]
    public let lnF: RMSNormLayer
    public let lmHeadBias: Parameter?
    public let parameters: [Parameter]

    public init(config: DecoderOnlyConfig, seed: UInt64? = 42) {
        precondition(config.widths.validationProblem == nil, config.widths.validationProblem ?? "")
        self.config = config
        let c = config.widths
        var f = ParameterFactory(seed: seed ?? 0)
        f.unfilled = seed == nil
        wte = f.normal("transformer.wte.weight", [c.vocabSize, c.nEmbd])
        blocks = (0..<config.nLayer).map { SelfAttentionBlock("transformer.h.\($0)", c, attentionName: "causal_attn", causal: true, &f) }
        lnF = RMSNormLayer("transformer.ln_f.weight", width: c.nEmbd, eps: 1e-6, &f)
        lmHeadBias = c.lmHeadBias ? f.zeros("lm_head.bias", [c.vocabSize]) : nil
        parameters = f.created
    }

    /// ids [B·L] → logits [B·L, vocab]. Keys equal to the pad id are masked.
    public func logits(ids: [Int32], batch: Int, _ fp: ForwardPass) throws -> Variable {
        let c = config.widths
        try validateTokens(ids, vocabSize: c.vocabSize, what: "input")
        precondition(batch > 0 && ids.count % batch == 0, "\(ids.count) ids do not split into batch \(batch)")
        let length = ids.count / batch
        let rope = RoPETables(positions: RoPETables.causalPositions(length: length), headDim: c.headDim, theta: c.ropeTheta)
        let mask = ids.map { Int($0) != c.padTokenID }
        let dropout = fp.tape.isTraining ? c.dropout : 0
        let table = fp(wte)
        var x = fp.tape.embedding(table, ids: ids)
        for block in blocks { x = block(x, batch: batch, rope: rope, keyMask: mask, dropout: dropout, fp) }
        return fp.tape.linear(lnF(x, fp), weight: table, bias: lmHeadBias.map { fp($0) })
    }

    /// Mean cross-entropy over labels ≠ `ignoreIndex` (labels [B·L], aligned with ids).
    public func loss(ids: [Int32], labels: [Int32], batch: Int, ignoreIndex: Int32, _ fp: ForwardPass) throws -> Variable {
        for (i, l) in labels.enumerated() where l != ignoreIndex && (l < 0 || Int(l) >= config.widths.vocabSize) {
            throw InvalidTokenError(id: l, position: i, vocabSize: config.widths.vocabSize, what: "labels")
        }
        return fp.tape.crossEntropy(logits: try logits(ids: ids, batch: batch, fp), targets: labels, ignoreIndex: ignoreIndex)
    }
}
