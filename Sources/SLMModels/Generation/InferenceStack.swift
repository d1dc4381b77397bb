import Foundation
import SLMTensor

// Inference without a tape: the same maths as the model files, on plain tensors, with a
// self-attention KV cache per sequence and the cross-attention K/V computed once per request.
// Every model kind is described as one `InferenceStack` of decoder layers (plus, for Mu, an
// encoder), so one step function serves Mu, the decoder-only baseline and Llama.

/// The MLP of a layer.
enum InferenceMLP {
    /// fc2(GELU_tanh(fc1(x))) (Mu).
    case gelu(fc1: Linear, fc2: Linear)
    /// down(silu(gate(x)) ⊙ up(x)) (Llama).
    case swiglu(gate: Linear, up: Linear, down: Linear)
}

struct InferenceLayer {
    let selfNorm: RMSNormLayer
    let selfAttention: AttentionLayer
    /// Mu decoder only.
    let crossNorm: RMSNormLayer?
    let crossAttention: AttentionLayer?
    let mlpNorm: RMSNormLayer
    let mlp: InferenceMLP
}

/// One sequence being decoded: its KV caches, its cross-attention K/V (Mu), its length.
public final class SequenceState {
    /// Per layer, [capacity, G·hd] each; rows 0..<length are filled.
    var keys: [Tensor]
    var values: [Tensor]
    /// Per layer cross-attention keys/values [S, G·hd] and the source key mask (Mu).
    var crossKeys: [Tensor] = []
    var crossValues: [Tensor] = []
    var sourceMask: [UInt8] = []
    var sourceHasPadding = false
    /// Decoder-side pad mask of the cached keys (Mu and the baseline mask pad ids).
    var selfMask: [UInt8] = []
    public private(set) var length = 0
    let capacity: Int

    init(layers: Int, kvWidth: Int, capacity: Int) {
        self.capacity = capacity
        keys = (0..<layers).map { _ in Tensor(uninitialized: [capacity, kvWidth]) }
        values = (0..<layers).map { _ in Tensor(uninitialized: [capacity, kvWidth]) }
    }

    func advance(by n: Int) { length += n }
}

/// A model as a stack of decoder layers (and, for Mu, an encoder) for cached decoding.
public final class InferenceStack {
    let embedding: Parameter
    let layers: [InferenceLayer]
    let finalNorm: RMSNormLayer
    let head: Parameter
    let headBias: Parameter?
    /// RoPE tables for the decoder positions of a request (same for every layer).
    let ropeTables: (_ positions: [Int], _ requestLength: Int) -> RoPETables
    /// Keys equal to this id are masked in decoder self-attention (Mu, baseline); nil for Llama.
    let padID: Int32?
    let vocabSize: Int
    let kvWidth: Int
    /// Mu's encoder, nil for decoder-only models.
    let encoder: MuModel?

    /// Decoder settings of a Mu-family config (Mu, and the baseline's widths): plain RoPE
    /// positions, the pad id masked, the vocabulary and the K/V width.
    private static func settings(_ c: MuConfig)
        -> (ropeTables: (_ positions: [Int], _ requestLength: Int) -> RoPETables, padID: Int32?, vocabSize: Int, kvWidth: Int) {
        ({ positions, _ in RoPETables(positions: positions, headDim: c.headDim, theta: c.ropeTheta) },
         Int32(c.padTokenID), c.vocabSize, c.kvWidth)
    }

    init(_ model: AnyModel) {
        switch model {
        case .mu(let m):
            embedding = m.wte
            layers = m.decoderBlocks.map {
                InferenceLayer(selfNorm: $0.ln1, selfAttention: $0.causalAttn, crossNorm: $0.ln2, crossAttention: $0.crossAttn,
                               mlpNorm: $0.ln3, mlp: .gelu(fc1: $0.mlp.fc1, fc2: $0.mlp.fc2))
            }
            finalNorm = m.lnF
            head = m.wte
            headBias = m.lmHeadBias
            (ropeTables, padID, vocabSize, kvWidth) = Self.settings(m.config)
            encoder = m
        case .decoderOnly(let m):
            embedding = m.wte
            layers = m.blocks.map {
                InferenceLayer(selfNorm: $0.ln1, selfAttention: $0.attn, crossNorm: nil, crossAttention: nil,
                               mlpNorm: $0.ln2, mlp: .gelu(fc1: $0.mlp.fc1, fc2: $0.mlp.fc2))
            }
            finalNorm = m.lnF
            head = m.wte
            headBias = m.lmHeadBias
            (ropeTables, padID, vocabSize, kvWidth) = Self.settings(m.config.widths)
            encoder = nil
        case .llama(let m):
            embedding = m.embedTokens
            layers = m.layers.map {
                InferenceLayer(selfNorm: $0.inputNorm, selfAttention: $0.attn, crossNorm: nil, crossAttention: nil,
                               mlpNorm: $0.postAttentionNorm, mlp: .swiglu(gate: $0.gate, up: $0.up, down: $0.down))
            }
            finalNorm = m.norm
            head = m.lmHead ?? m.embedTokens
            headBias = nil
            let c = m.config
            ropeTables = { positions, total in c.ropeTables(positions: positions, totalLength: total) }
            padID = nil
            vocabSize = c.vocabSize
            kvWidth = c.kvHeads * c.headDim
            encoder = nil
        }
    }

    func newSequence(capacity: Int) -> SequenceState {
        SequenceState(layers: layers.count, kvWidth: kvWidth, capacity: capacity)
    }

    // MARK: Encoder (Mu)

    /// Runs Mu's encoder once over `source` (unpadded; pad ids inside are masked as keys) and
    /// stores every decoder layer's cross-attention K/V in `state`.
    func encode(source: [Int32], into state: SequenceState) {
        guard let mu = encoder else { return }
        let c = mu.config
        let mask = source.map { Int($0) != c.padTokenID ? UInt8(1) : 0 }
        let allReal = !mask.contains(0)  // skip per-key mask checks when nothing is padding
        let rope = RoPETables(positions: RoPETables.centredPositions(length: source.count), headDim: c.headDim,
                              theta: mu.ropeTheta(length: source.count))
        let x = Infer.embed(source, mu.wte)
        let rows = source.count
        let scratch = Tensor(uninitialized: [Attention.queryBlock * max(rows, 1)])
        let buffers = InferenceBuffers(rows: rows, width: c.nEmbd, qWidth: c.qkvEmbd, kvWidth: c.kvWidth,
                                       hiddenWidth: c.hiddenDim, gated: false)
        let q = buffers.q, k = buffers.k, v = buffers.v, a = buffers.attended
        for block in mu.encoderBlocks {
            let attn = block.attn
            Infer.overRows(rows) { r in
                Infer.projectQKV(x, block.ln1, attn, buffers, rows: r)
                RoPE.forward(q.data + r.lowerBound * q.columns, q.data + r.lowerBound * q.columns, tables: rope,
                             rows: r.count, heads: attn.heads, firstRow: r.lowerBound)
                RoPE.forward(k.data + r.lowerBound * k.columns, k.data + r.lowerBound * k.columns, tables: rope,
                             rows: r.count, heads: attn.kvHeads, firstRow: r.lowerBound)
            }
            mask.withUnsafeBufferPointer { m in
                Attention.inference(out: a.data, q: q.data, k: k.data, v: v.data, keyMask: allReal ? nil : m.baseAddress,
                                    scratch: scratch.data, queryLength: rows, keyLength: rows, kvStride: k.columns,
                                    config: attn.config(causal: false, dropout: 0))
            }
            Infer.overRows(rows) { r in
                Infer.residualLinear(x, a, attn.out, buffers, rows: r)
                Infer.residualMLP(x, block.ln2, .gelu(fc1: block.mlp.fc1, fc2: block.mlp.fc2), buffers, rows: r)
            }
        }
        state.sourceMask = mask
        state.sourceHasPadding = !allReal
        state.crossKeys = layers.map { _ in Tensor(uninitialized: [rows, kvWidth]) }
        state.crossValues = layers.map { _ in Tensor(uninitialized: [rows, kvWidth]) }
        Infer.overRows(rows) { r in
            Infer.rmsNorm(buffers.normed, x, mu.lnE, rows: r)
            for (li, layer) in layers.enumerated() {
                Infer.linear(state.crossKeys[li], buffers.normed, layer.crossAttention!.k, rows: r)
                Infer.linear(state.crossValues[li], buffers.normed, layer.crossAttention!.v, rows: r)
            }
        }
    }

    // MARK: Decoder step

    /// Feeds new tokens to several sequences at once (prefill: one sequence, many tokens;
    /// decode: many sequences, one token each) and returns the logits of each sequence's
    /// last new token, [sequences, vocab]. Linear layers run once over all stacked rows;
    /// attention runs per sequence against its own cache.
    func step(_ states: [SequenceState], tokens: [[Int32]], requestLength: Int) -> Tensor {
        precondition(states.count == tokens.count && !states.isEmpty)
        precondition(tokens.allSatisfy { !$0.isEmpty }, "every sequence needs at least one new token")
        precondition(Set(states.map(ObjectIdentifier.init)).count == states.count, "a sequence appears twice in one step")
        let counts = tokens.map(\.count)
        let starts = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        let allIDs = tokens.flatMap { $0 }
        for (si, s) in states.enumerated() {
            precondition(s.length + counts[si] <= s.capacity, "KV cache capacity \(s.capacity) exceeded")
            if let padID { s.selfMask.append(contentsOf: tokens[si].map { $0 != padID ? 1 : 0 }) }
        }
        let tables = zip(states, counts).map { ropeTables(Array($0.length..<($0.length + $1)), requestLength) }
        var x = Infer.embed(allIDs, embedding)
        let maxKeys = max(states.map(\.capacity).max() ?? 0, states.map { $0.sourceMask.count }.max() ?? 0)
        let scratch = Tensor(uninitialized: [min(Attention.queryBlock, counts.max() ?? 1) * max(maxKeys, 1)])
        // Every layer has the same shapes (a model without layers has nothing to allocate).
        let buffers = layers.first.map {
            InferenceBuffers(rows: x.rows, width: x.columns, qWidth: $0.selfAttention.q.outFeatures, kvWidth: kvWidth, mlp: $0.mlp)
        }
        // The rows whose layer outputs are still needed: all new rows, then in the last layer
        // only each sequence's last one.
        var rows = x.rows, queryStarts = starts, queryCounts = counts

        for (li, layer) in layers.enumerated() {
            guard let buffers else { break }
            let q = buffers.q, k = buffers.k, v = buffers.v, a = buffers.attended
            let qWidth = q.columns
            let attn = layer.selfAttention
            Infer.overRows(rows) { r in
                Infer.projectQKV(x, layer.selfNorm, attn, buffers, rows: r)
                // Rotate and cache the rows of r, sequence by sequence (r may span several).
                for (si, s) in states.enumerated() {
                    let lo = max(r.lowerBound, starts[si]), hi = min(r.upperBound, starts[si + 1])
                    guard lo < hi else { continue }
                    let first = lo - starts[si], n = hi - lo
                    RoPE.forward(q.data + lo * qWidth, q.data + lo * qWidth, tables: tables[si], rows: n, heads: attn.heads,
                                 firstRow: first)
                    RoPE.forward(k.data + lo * kvWidth, k.data + lo * kvWidth, tables: tables[si], rows: n,
                                 heads: attn.kvHeads, firstRow: first)
                    (s.keys[li].data + (s.length + first) * kvWidth).update(from: k.data + lo * kvWidth, count: n * kvWidth)
                    (s.values[li].data + (s.length + first) * kvWidth).update(from: v.data + lo * kvWidth, count: n * kvWidth)
                }
            }
            if li == layers.count - 1 && rows > states.count {
                // Only the last rows feed the logits, and later steps read only the keys and
                // values cached above: the other rows skip the last layer's attention, output
                // projection and MLP (a prefill's share 1/layers of those).
                let lastRows = (0..<states.count).map { starts[$0 + 1] - 1 }
                x = Infer.gatherRows(x, lastRows)
                for (i, r) in lastRows.enumerated() where i != r {  // r ≥ i: no source is overwritten first
                    (q.data + i * qWidth).update(from: q.data + r * qWidth, count: qWidth)
                }
                rows = states.count
                queryStarts = Array(0...rows)
                queryCounts = Array(repeating: 1, count: rows)
            }
            for (si, s) in states.enumerated() {
                let r0 = queryStarts[si], n = queryCounts[si]
                let keyCount = s.length + counts[si]
                let run = { (mask: UnsafePointer<UInt8>?) in
                    Attention.inference(out: a.data + r0 * qWidth, q: q.data + r0 * qWidth, k: s.keys[li].data,
                                        v: s.values[li].data, keyMask: mask, scratch: scratch.data, queryLength: n,
                                        keyLength: keyCount, kvStride: self.kvWidth, config: attn.config(causal: true, dropout: 0))
                }
                if padID != nil && s.selfMask.contains(0) { s.selfMask.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
            }
            guard let cross = layer.crossAttention, let crossNorm = layer.crossNorm else {
                // Row-wise from here on: one pass over each worker's rows.
                Infer.overRows(rows) { r in
                    Infer.residualLinear(x, a, attn.out, buffers, rows: r)
                    Infer.residualMLP(x, layer.mlpNorm, layer.mlp, buffers, rows: r)
                }
                continue
            }
            // Mu's decoder: cross-attention between self-attention and the MLP.
            Infer.overRows(rows) { r in
                Infer.residualLinear(x, a, attn.out, buffers, rows: r)
                Infer.rmsNorm(buffers.normed, x, crossNorm, rows: r)
                Infer.linear(q, buffers.normed, cross.q, rows: r)
            }
            for (si, s) in states.enumerated() {
                let r0 = queryStarts[si], n = queryCounts[si]
                s.sourceMask.withUnsafeBufferPointer { m in
                    Attention.inference(out: a.data + r0 * qWidth, q: q.data + r0 * qWidth, k: s.crossKeys[li].data,
                                        v: s.crossValues[li].data, keyMask: s.sourceHasPadding ? m.baseAddress : nil,
                                        scratch: scratch.data,
                                        queryLength: n, keyLength: s.sourceMask.count, kvStride: kvWidth,
                                        config: cross.config(causal: false, dropout: 0))
                }
            }
            Infer.overRows(rows) { r in
                Infer.residualLinear(x, a, cross.out, buffers, rows: r)
                Infer.residualMLP(x, layer.mlpNorm, layer.mlp, buffers, rows: r)
            }
        }
        for (s, n) in zip(states, counts) { s.advance(by: n) }

        // Logits of the last new row of each sequence only.
        let last = Infer.gatherRows(x, (0..<states.count).map { queryStarts[$0 + 1] - 1 })
        let normed = Infer.rmsNorm(last, finalNorm)
        return Infer.linear(normed, Linear(weight: head, bias: headBias))
    }
}
