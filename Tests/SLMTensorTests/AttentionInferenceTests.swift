import Testing
import SLMTensor

/// The blocked, probability-free inference kernel against the reference twin, on shapes that
/// cross the query-block size, with KV caches (Lq < Lk, causal offset), padding masks,
/// GQA in both orders and fully masked rows.
@Suite struct AttentionInferenceTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var lq: Int, lk: Int
        var heads = 4, kvHeads = 2, headDim = 6
        var mapping = KVHeadMapping.concatenatedCopies
        var causal = true
        var maskedKeys: Set<Int> = []
        var window: Int? = nil
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "prefill across blocks", lq: 150, lk: 150),
        Case(name: "decode one row over a cache", lq: 1, lk: 77),
        Case(name: "chunk over a cache", lq: 70, lk: 131, mapping: .repeatInterleaved),
        Case(name: "bidirectional with padding", lq: 67, lk: 67, causal: false, maskedKeys: [3, 10, 66]),
        Case(name: "cross-attention Lq ≠ Lk", lq: 5, lk: 90, heads: 6, kvHeads: 3, causal: false, maskedKeys: [0, 89]),
        Case(name: "causal with leading pads (rows that see nothing)", lq: 80, lk: 80, mapping: .repeatInterleaved,
             maskedKeys: [0, 1, 2, 70]),
        Case(name: "sliding window prefill across blocks", lq: 150, lk: 150, window: 37),
        Case(name: "sliding window decode over a longer cache", lq: 1, lk: 77, window: 10),
        Case(name: "sliding window chunk over a cache, window past a block", lq: 140, lk: 200,
             mapping: .repeatInterleaved, window: 150),
        Case(name: "sliding window with leading pads (rows that see nothing)", lq: 80, lk: 80,
             maskedKeys: [0, 1, 2, 3, 40], window: 2),
    ]

    @Test(arguments: cases)
    func matchesReference(c: Case) {
        let config = AttentionConfig(queryHeads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, mapping: c.mapping, causal: c.causal,
                                     window: c.window)
        let q = randomArray(c.lq * c.heads * c.headDim, seed: 1)
        let k = randomArray(c.lk * c.kvHeads * c.headDim, seed: 2)
        let v = randomArray(c.lk * c.kvHeads * c.headDim, seed: 3)
        let mask = (0..<c.lk).map { !c.maskedKeys.contains($0) }
        let reference = Attention.forwardReference(q: q, k: k, v: v, batch: 1, config: config,
                                                   keyMask: c.maskedKeys.isEmpty ? nil : mask)
        var out = [Float](repeating: .nan, count: q.count)
        var scratch = [Float](repeating: 0, count: Attention.queryBlock * c.lk)
        let bytes: [UInt8] = mask.map { $0 ? 1 : 0 }
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            bytes.withUnsafeBufferPointer { mp in
                out.withUnsafeMutableBufferPointer { op in scratch.withUnsafeMutableBufferPointer { sp in
                    Attention.inference(out: op.baseAddress!, q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                        keyMask: c.maskedKeys.isEmpty ? nil : mp.baseAddress, scratch: sp.baseAddress!,
                                        queryLength: c.lq, keyLength: c.lk, kvStride: c.kvHeads * c.headDim, config: config)
                } }
            }
        } } }
        #expect(maxAbsDifference(out, reference) < 1e-5, "\(c.name): \(maxAbsDifference(out, reference))")
    }
}
