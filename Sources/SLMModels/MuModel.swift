import Foundation
import SLMTensor

// Mu encoder–decoder (port of the seed's src/mu/models/modeling_mu.py, seed-spec §1.4).
// Activations are 2-D [B·L, width]; ids are flat [B·L] row-major; pad id 0 is the mask.

/// Mu's MLP: y = Dropout(fc2(GELU_tanh(fc1(x)))).
public struct GeluMLP {
    public let fc1: Linear, fc2: Linear

    init(_ prefix: String, width: Int, hidden: Int, _ f: inout ParameterFactory) {
        fc1 = Linear(prefix + ".fc1", in: width, out: hidden, bias: true, &f)
        fc2 = Linear(prefix + ".fc2", in: hidden, out: width, bias: true, &f)
    }

    func callAsFunction(_ x: Variable, dropout: Float, _ fp: ForwardPass) -> Variable {
        fp.tape.dropout(fc2(fp.tape.gelu(fc1(x, fp)), fp), p: dropout)
    }
}

func muAttention(_ prefix: String, _ c: MuConfig, _ f: inout ParameterFactory) -> AttentionLayer {
    AttentionLayer(
        q: Linear(prefix + ".q_linear", in: c.nEmbd, out: c.qkvEmbd, bias: true, &f),
        k: Linear(prefix + ".k_linear", in: c.nEmbd, out: c.kvWidth, bias: true, &f),
        v: Linear(prefix + ".v_linear", in: c.nEmbd, out: c.kvWidth, bias: true, &f),
        out: Linear(prefix + ".out_linear", in: c.qkvEmbd, out: c.nEmbd, bias: true, &f),
        heads: c.nHead, kvHeads: c.nKVHead, mapping: c.kvMapping)
}

/// x += SelfAttn(RMSNorm₁(x)); x += MLP(RMSNorm₂(x)): Mu's encoder block (bidirectional,
/// centred RoPE, its attention under `attn`) and the decoder-only baseline's block (causal,
/// under `causal_attn`) — the same block, as the seed builds both.
public struct SelfAttentionBlock {
    public let ln1: RMSNormLayer, attn: AttentionLayer, ln2: RMSNormLayer, mlp: GeluMLP
    public let causal: Bool

    /// `attentionName` is the checkpoint name of the attention (`attn`, `causal_attn`).
    init(_ prefix: String, _ c: MuConfig, attentionName: String, causal: Bool, _ f: inout ParameterFactory) {
        ln1 = RMSNormLayer(prefix + ".ln1.weight", width: c.nEmbd, eps: 1e-6, &f)
        attn = muAttention(prefix + "." + attentionName, c, &f)
        ln2 = RMSNormLayer(prefix + ".ln2.weight", width: c.nEmbd, eps: 1e-6, &f)
        mlp = GeluMLP(prefix + ".mlp", width: c.nEmbd, hidden: c.hiddenDim, &f)
        self.causal = causal
    }

    func callAsFunction(_ x: Variable, batch: Int, rope: RoPETables, keyMask: [Bool], dropout: Float,
                        _ fp: ForwardPass) -> Variable {
        let t = fp.tape
        let h = ln1(x, fp)
        let x1 = t.add(x, attn(query: h, keyValue: h, batch: batch, causal: causal, rope: rope,
                               keyMask: keyMask, dropout: dropout, fp))
        return t.add(x1, mlp(ln2(x1, fp), dropout: dropout, fp))
    }
}

/// Causal self-attention (RoPE from 0), cross-attention to the encoder (no RoPE), MLP.
public struct MuDecoderBlock {
    public let ln1: RMSNormLayer, causalAttn: AttentionLayer
    public let ln2: RMSNormLayer, crossAttn: AttentionLayer
    public let ln3: RMSNormLayer, mlp: GeluMLP

    init(_ prefix: String, _ c: MuConfig, _ f: inout ParameterFactory) {
        ln1 = RMSNormLayer(prefix + ".ln1.weight", width: c.nEmbd, eps: 1e-6, &f)
        ln2 = RMSNormLayer(prefix + ".ln2.weight", width: c.nEmbd, eps: 1e-6, &f)
        ln3 = RMSNormLayer(prefix + ".ln3.weight", width: c.nEmbd, eps: 1e-6, &f)
        causalAttn = muAttention(prefix + ".causal_attn", c, &f)
        crossAttn = muAttention(prefix + ".cross_attn", c, &f)
        mlp = GeluMLP(prefix + ".mlp", width: c.nEmbd, hidden: c.hiddenDim, &f)
    }

    func callAsFunction(
        _ x: Variable, encoded: Variable, batch: Int, rope: RoPETables, selfMask: [Bool], sourceMask: [Bool],
        dropout: Float, _ fp: ForwardPass
    ) -> Variable {
        let t = fp.tape
        let h = ln1(x, fp)
        let x1 = t.add(x, causalAttn(query: h, keyValue: h, batch: batch, causal: true, rope: rope,
                                     keyMask: selfMask, dropout: dropout, fp))
        let x2 = t.add(x1, crossAttn(query: ln2(x1, fp), keyValue: encoded, batch: batch, causal: false, rope: nil,
                                     keyMask: sourceMask, dropout: dropout, fp))
        return t.add(x2, mlp(ln3(x2, fp), dropout: dropout, fp))
    }
}

/// The Mu encoder–decoder with the seed's state-dict names:
/// transformer.wte.weight (tied lm_head), transformer.e.{i}.*, transformer.ln_e.weight,
/// transformer.h.{i}.*, transformer.ln_f.weight, and lm_head.bias when configured.
public final class MuModel: ParameterContainer {
    public let config: MuConfig
    public let wte: Parameter
    public let encoderBlocks: [SelfAttentionBlock]
    public let lnE: RMSNormLayer
    public let decoderBlocks: [MuDecoderBlock]
    public let lnF: RMSNormLayer
    public let lmHeadBias: Parameter?
    public let parameters: [Parameter]

    /// Weights drawn from N(0, 0.02) with `seed` (biases 0, norms 1); zeros when `seed` is nil.
    public init(config: MuConfig, seed: UInt64? = 42) {
        precondition(config.validationProblem == nil, config.validationProblem ?? "")
        self.config = config
        var f = ParameterFactory(seed: seed ?? 0)
        f.unfilled = seed == nil
        wte = f.normal("transformer.wte.weight", [config.vocabSize, config.nEmbd])
        encoderBlocks = (0..<config.nEncoderLayer).map {
            SelfAttentionBlock("transformer.e.\($0)", config, attentionName: "attn", causal: false, &f)
        }
        lnE = RMSNormLayer("transformer.ln_e.weight", width: config.nEmbd, eps: 1e-6, &f)
        decoderBlocks = (0..<config.nDecoderLayer).map { MuDecoderBlock("transformer.h.\($0)", config, &f) }
        lnF = RMSNormLayer("transformer.ln_f.weight", width: config.nEmbd, eps: 1e-6, &f)
        lmHeadBias = config.lmHeadBias ? f.zeros("lm_head.bias", [config.vocabSize]) : nil
        parameters = f.created
    }

    /// RoPE base for a sequence of length L (NTK "dynamic" scaling only when rope_factor > 1):
    /// θ' = θ·(f·L'/B − (f−1))^(d_h/(d_h−2)), L' = max(L, B) (Mu-text, seed-spec §1.4.4).
    public func ropeTheta(length: Int) -> Float {
        let f = Double(config.ropeFactor)
        guard f > 1 else { return config.ropeTheta }
        let b = Double(config.blockSize), lPrime = Double(max(length, config.blockSize))
        let dh = Double(config.headDim)
        return Float(Double(config.ropeTheta) * pow(f * lPrime / b - (f - 1), dh / (dh - 2)))
    }

    func keyMask(_ ids: [Int32]) -> [Bool] { ids.map { Int($0) != config.padTokenID } }

    /// Encoder: ids [B·L] (right-padded with pad id) → (e [B·L, d], key mask [B·L]).
    public func encode(source: [Int32], batch: Int, _ fp: ForwardPass) throws -> (encoded: Variable, mask: [Bool]) {
        try validateTokens(source, vocabSize: config.vocabSize, what: "encoder input")
        precondition(batch > 0 && source.count % batch == 0, "\(source.count) source ids do not split into batch \(batch)")
        let length = source.count / batch
        let mask = keyMask(source)
        let rope = RoPETables(positions: RoPETables.centredPositions(length: length), headDim: config.headDim,
                              theta: ropeTheta(length: length))
        let dropout = fp.tape.isTraining ? config.dropout : 0
        var x = fp.tape.embedding(fp(wte), ids: source)
        for block in encoderBlocks {
            x = block(x, batch: batch, rope: rope, keyMask: mask, dropout: dropout, fp)
        }
        return (lnE(x, fp), mask)
    }

    /// Decoder: ids [B·T] starting with BOS → logits [B·T, vocab].
    public func decode(
        target: [Int32], batch: Int, encoded: Variable, sourceMask: [Bool], _ fp: ForwardPass
    ) throws -> Variable {
        try validateTokens(target, vocabSize: config.vocabSize, what: "decoder input")
        precondition(batch > 0 && target.count % batch == 0, "\(target.count) target ids do not split into batch \(batch)")
        let length = target.count / batch
        let rope = RoPETables(positions: RoPETables.causalPositions(length: length), headDim: config.headDim,
                              theta: ropeTheta(length: length))
        let selfMask = keyMask(target)
        let dropout = fp.tape.isTraining ? config.dropout : 0
        let t = fp.tape
        let table = fp(wte)
        var x = t.embedding(table, ids: target)
        for block in decoderBlocks {
            x = block(x, encoded: encoded, batch: batch, rope: rope, selfMask: selfMask, sourceMask: sourceMask,
                      dropout: dropout, fp)
        }
        return t.linear(lnF(x, fp), weight: table, bias: lmHeadBias.map { fp($0) })
    }

    /// Logits [B·T, vocab] for source [B·S] and decoder input [B·T].
    public func logits(source: [Int32], decoderInput: [Int32], batch: Int, _ fp: ForwardPass) throws -> Variable {
        let (e, mask) = try encode(source: source, batch: batch, fp)
        return try decode(target: decoderInput, batch: batch, encoded: e, sourceMask: mask, fp)
    }

    /// Teacher-forced cross-entropy: mean over label positions ≠ pad (seed-spec §5.4's L_CE).
    public func loss(source: [Int32], decoderInput: [Int32], labels: [Int32], batch: Int, _ fp: ForwardPass) throws -> Variable {
        try validateTokens(labels, vocabSize: config.vocabSize, what: "labels")
        let z = try logits(source: source, decoderInput: decoderInput, batch: batch, fp)
        return fp.tape.crossEntropy(logits: z, targets: labels, ignoreIndex: Int32(config.padTokenID))
    }
}
