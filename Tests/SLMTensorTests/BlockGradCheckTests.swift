import Testing
import SLMTensor

/// Whole Mu blocks on the tape against compositions of the Double references: catches wiring
/// errors (residual fan-in, shared inputs, RoPE + GQA + masks together) that per-op checks miss.
@Suite struct BlockGradCheckTests {
    // d = 4, attention width 4 (2 query heads × 2), 1 KV head (GQA 2:1), MLP hidden 6.
    static let (d, heads, kvHeads, headDim, hidden) = (4, 2, 1, 2, 6)
    static let (batch, length) = (2, 3)

    static func shapes() -> [[Int]] {
        [[batch * length, d],                       // 0 x
         [d], [heads * headDim, d], [heads * headDim], // 1 ln1, 2 Wq, 3 bq
         [kvHeads * headDim, d], [kvHeads * headDim],  // 4 Wk, 5 bk
         [kvHeads * headDim, d], [kvHeads * headDim],  // 6 Wv, 7 bv
         [d, heads * headDim], [d],                    // 8 Wo, 9 bo
         [d], [hidden, d], [hidden], [d, hidden], [d]] // 10 ln2, 11 W1, 12 b1, 13 W2, 14 b2
    }

    @Test func encoderBlockWithCentredRoPEPaddingAndGQA() {
        let shapes = Self.shapes()
        let inputs = shapes.enumerated().map { randomTensor($0.element, seed: UInt64(100 + $0.offset), std: 0.7) }
        let config = AttentionConfig(queryHeads: Self.heads, kvHeads: Self.kvHeads, headDim: Self.headDim,
                                     mapping: .concatenatedCopies, causal: false)
        let positions = RoPETables.centredPositions(length: Self.length)
        let tables = RoPETables(positions: positions, headDim: Self.headDim)
        let mask = [true, true, true, true, true, false]
        let (n, d, hidden) = (Self.batch * Self.length, Self.d, Self.hidden)
        let qw = Self.heads * Self.headDim, kw = Self.kvHeads * Self.headDim

        let report = GradCheck.run(inputs: inputs) { t, v in
            let h = t.rmsNorm(v[0], weight: v[1])
            let q = t.rope(t.linear(h, weight: v[2], bias: v[3]), tables: tables, heads: Self.heads)
            let k = t.rope(t.linear(h, weight: v[4], bias: v[5]), tables: tables, heads: Self.kvHeads)
            let vv = t.linear(h, weight: v[6], bias: v[7])
            let a = t.attention(query: q, keys: k, values: vv, batch: Self.batch, config: config, keyMask: mask)
            let x1 = t.add(v[0], t.linear(a, weight: v[8], bias: v[9]))
            let m = t.linear(t.gelu(t.linear(t.rmsNorm(x1, weight: v[10]), weight: v[11], bias: v[12])), weight: v[13], bias: v[14])
            return t.add(x1, m)
        } reference: { x in
            let h = RMSNorm.forwardReference(x[0], weight: x[1], rows: n, cols: d, eps: 1e-6)
            let q = RoPE.forwardReference(linearReference(h, x[2], x[3], rows: n, inFeatures: d, outFeatures: qw),
                                          positions: positions, headDim: Self.headDim, heads: Self.heads)
            let k = RoPE.forwardReference(linearReference(h, x[4], x[5], rows: n, inFeatures: d, outFeatures: kw),
                                          positions: positions, headDim: Self.headDim, heads: Self.kvHeads)
            let vv = linearReference(h, x[6], x[7], rows: n, inFeatures: d, outFeatures: kw)
            let a = Attention.forwardReference(q: q, k: k, v: vv, batch: Self.batch, config: config, keyMask: mask)
            let x1 = zip(x[0], linearReference(a, x[8], x[9], rows: n, inFeatures: qw, outFeatures: d)).map { $0 + $1 }
            let h2 = RMSNorm.forwardReference(x1, weight: x[10], rows: n, cols: d, eps: 1e-6)
            let u = Activations.geluReference(linearReference(h2, x[11], x[12], rows: n, inFeatures: d, outFeatures: hidden))
            return zip(x1, linearReference(u, x[13], x[14], rows: n, inFeatures: hidden, outFeatures: d)).map { $0 + $1 }
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func decoderCrossAttentionIntoCEAndKDLoss() {
        // Causal self-attention, cross-attention to an encoder output (no RoPE), tied lm_head,
        // then α·KL + (1−α)·CE as in Mu's KD objective.
        let (dec, enc, d, vocab) = (3, 4, 4, 5)
        let config = AttentionConfig(queryHeads: 2, kvHeads: 1, headDim: 2, mapping: .repeatInterleaved, causal: false)
        let causal = AttentionConfig(queryHeads: 2, kvHeads: 1, headDim: 2, mapping: .repeatInterleaved, causal: true)
        let tables = RoPETables(positions: RoPETables.causalPositions(length: dec), headDim: 2)
        let encMask = [true, true, true, false]
        let targets: [Int32] = [2, 4, 0]
        let ids: [Int32] = [1, 2, 4]
        let teacher = Softmax.logForwardReference(randomArray(dec * vocab, seed: 3).map(Double.init), rows: dec, cols: vocab)
        let shapes: [[Int]] = [[vocab, d], [enc, d], [4, d], [2, d], [2, d], [4, d], [2, d], [2, d], [d, 4]]
        let inputs = shapes.enumerated().map { randomTensor($0.element, seed: UInt64(200 + $0.offset), std: 0.8) }
        let alpha = 0.9

        let report = GradCheck.run(inputs: inputs) { t, v in
            let x0 = t.embedding(v[0], ids: ids)
            let q = t.rope(t.linear(x0, weight: v[2]), tables: tables, heads: 2)
            let k = t.rope(t.linear(x0, weight: v[3]), tables: tables, heads: 1)
            let x1 = t.add(x0, t.linear(t.attention(query: q, keys: k, values: t.linear(x0, weight: v[4]), batch: 1, config: causal), weight: v[8]))
            let cq = t.linear(x1, weight: v[5])
            let ca = t.attention(query: cq, keys: t.linear(v[1], weight: v[6]), values: t.linear(v[1], weight: v[7]),
                                 batch: 1, config: config, keyMask: encMask)
            let x2 = t.add(x1, t.linear(ca, weight: v[8]))
            let logits = t.linear(x2, weight: v[0])
            let kd = t.klDivergence(teacherLogProbs: t.constant(Tensor(shape: [dec, vocab], values: teacher.map(Float.init))),
                                    studentLogProbs: t.logSoftmax(logits))
            let ce = t.crossEntropy(logits: logits, targets: targets, ignoreIndex: 0)
            return t.add(t.scale(kd, by: Float(alpha)), t.scale(ce, by: Float(1 - alpha)))
        } reference: { x in
            let x0 = ids.flatMap { id in x[0][(Int(id) * d)..<(Int(id) * d + d)] }
            let q = RoPE.forwardReference(linearReference(x0, x[2], nil, rows: dec, inFeatures: d, outFeatures: 4),
                                          positions: tables.positions, headDim: 2, heads: 2)
            let k = RoPE.forwardReference(linearReference(x0, x[3], nil, rows: dec, inFeatures: d, outFeatures: 2),
                                          positions: tables.positions, headDim: 2, heads: 1)
            let vv = linearReference(x0, x[4], nil, rows: dec, inFeatures: d, outFeatures: 2)
            let a = Attention.forwardReference(q: q, k: k, v: vv, batch: 1, config: causal)
            let x1 = zip(x0, linearReference(a, x[8], nil, rows: dec, inFeatures: 4, outFeatures: d)).map { $0 + $1 }
            let cq = linearReference(x1, x[5], nil, rows: dec, inFeatures: d, outFeatures: 4)
            let ck = linearReference(x[1], x[6], nil, rows: enc, inFeatures: d, outFeatures: 2)
            let cv = linearReference(x[1], x[7], nil, rows: enc, inFeatures: d, outFeatures: 2)
            let ca = Attention.forwardReference(q: cq, k: ck, v: cv, batch: 1, config: config, keyMask: encMask)
            let x2 = zip(x1, linearReference(ca, x[8], nil, rows: dec, inFeatures: 4, outFeatures: d)).map { $0 + $1 }
            let logits = linearReference(x2, x[0], nil, rows: dec, inFeatures: d, outFeatures: vocab)
            let kd = Losses.klReference(teacherLogProbs: teacher,
                                        studentLogProbs: Softmax.logForwardReference(logits, rows: dec, cols: vocab), rows: dec)
            let ce = Losses.crossEntropyReference(logits: logits, targets: targets, rows: dec, vocab: vocab, ignoreIndex: 0)
            return [alpha * kd + (1 - alpha) * ce]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let p = Parameter(name: "w", value: randomTensor([3, 2], seed: 1))
        var grads: [[Float]] = []
        for _ in 0..<2 {
            let tape = Tape()
            let x = tape.constant(randomTensor([4, 2], seed: 2))
            let y = tape.linear(x, weight: tape.parameter(p))
            tape.backward(from: y, seed: Tensor(shape: [4, 3], repeating: 1))
            grads.append(p.grad.array)
        }
        #expect(maxAbsDifference(grads[1], grads[0].map { 2 * $0 }) < 1e-5)
        p.zeroGrad()
        #expect(p.grad.array.allSatisfy { $0 == 0 })
    }
}
