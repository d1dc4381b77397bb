import Testing
import SLMTensor

/// Attention: gradient checks of every variant, mapping semantics, and masking semantics.
@Suite struct AttentionTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var batch = 2, lq = 4, lk = 4, heads = 2, kvHeads = 1, headDim = 3
        var mapping = KVHeadMapping.concatenatedCopies
        var causal = false
        var mask: [Bool]? = nil
        var dropout: Float = 0
        var window: Int? = nil
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "bidirectional MHA", heads: 2, kvHeads: 2),
        Case(name: "causal", heads: 2, kvHeads: 2, causal: true),
        Case(name: "padding mask", heads: 2, kvHeads: 2,
             mask: [true, true, true, false, true, true, false, false]),
        Case(name: "causal + padding", heads: 2, kvHeads: 2, causal: true,
             mask: [true, true, false, true, true, false, true, true]),
        Case(name: "cross-attention Lq≠Lk with mask", lq: 3, lk: 5, heads: 2, kvHeads: 2,
             mask: [true, true, true, false, false, true, true, true, true, true]),
        Case(name: "GQA 2:1 concatenated copies", heads: 4, kvHeads: 2, mapping: .concatenatedCopies, causal: true),
        Case(name: "GQA 2:1 repeat-interleaved", heads: 4, kvHeads: 2, mapping: .repeatInterleaved, causal: true),
        Case(name: "GQA 3:1 cross, interleaved", lq: 2, lk: 3, heads: 6, kvHeads: 2, mapping: .repeatInterleaved,
             mask: [true, true, false, true, false, true]),
        Case(name: "fully masked row", lq: 2, lk: 3, heads: 2, kvHeads: 1,
             mask: [false, false, false, true, true, false]),
        Case(name: "probability dropout", heads: 2, kvHeads: 1, causal: true, dropout: 0.25),
        Case(name: "sliding window 2", lq: 5, lk: 5, heads: 2, kvHeads: 1, causal: true, window: 2),
        Case(name: "sliding window over a cache, with padding", lq: 3, lk: 6, heads: 4, kvHeads: 2, causal: true,
             mask: [true, false, true, true, true, true, false, false, true, true, true, true], window: 3),
    ]

    @Test(arguments: cases)
    func gradientsMatchCentralDifferences(c: Case) {
        let config = AttentionConfig(queryHeads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                     mapping: c.mapping, causal: c.causal, dropout: c.dropout, window: c.window)
        let rng = SeededRNG(seed: 5)
        let inputs = [
            randomTensor([c.batch * c.lq, c.heads * c.headDim], seed: 31),
            randomTensor([c.batch * c.lk, c.kvHeads * c.headDim], seed: 32),
            randomTensor([c.batch * c.lk, c.kvHeads * c.headDim], seed: 33),
        ]
        let report = GradCheck.run(inputs: inputs, training: c.dropout > 0, tapeRNG: rng) { t, v in
            t.attention(query: v[0], keys: v[1], values: v[2], batch: c.batch, config: config, keyMask: c.mask)
        } reference: { x in
            var r = rng
            let dropMask = c.dropout > 0
                ? Dropout.maskReference(count: c.batch * c.heads * c.lq * c.lk, p: c.dropout, rng: &r) : nil
            return Attention.forwardReference(q: x[0], k: x[1], v: x[2], batch: c.batch, config: config,
                                              keyMask: c.mask, dropoutMask: dropMask)
        }
        #expect(report.maxRelativeError < gradTolerance, "\(c.name): \(report)")
    }

    @Test func forwardMatchesReferenceOnLargerOddShape() {
        let config = AttentionConfig(queryHeads: 6, kvHeads: 3, headDim: 5, mapping: .concatenatedCopies, causal: true)
        let (batch, l) = (2, 33)
        let q = randomArray(batch * l * 30, seed: 1), k = randomArray(batch * l * 15, seed: 2), v = randomArray(batch * l * 15, seed: 3)
        let mask = (0..<(batch * l)).map { $0 % l < 30 }
        let tape = Tape()
        let out = tape.attention(query: tape.constant(Tensor(shape: [batch * l, 30], values: q)),
                                 keys: tape.constant(Tensor(shape: [batch * l, 15], values: k)),
                                 values: tape.constant(Tensor(shape: [batch * l, 15], values: v)),
                                 batch: batch, config: config, keyMask: mask)
        let expected = Attention.forwardReference(q: q.map(Double.init), k: k.map(Double.init), v: v.map(Double.init),
                                                  batch: batch, config: config, keyMask: mask)
        #expect(maxAbsDifference(tape.value(out).array, expected.map(Float.init)) < 1e-5)
    }

    @Test func kvHeadMappingsFollowTheSpec() {
        // Mu-text, H=6, G=3: heads 0,3→0; 1,4→1; 2,5→2.  Mu-v2, H=16, G=8: head h → ⌊h/2⌋.
        #expect((0..<6).map { KVHeadMapping.concatenatedCopies.kvHead(forQueryHead: $0, queryHeads: 6, kvHeads: 3) }
                == [0, 1, 2, 0, 1, 2])
        #expect((0..<6).map { KVHeadMapping.repeatInterleaved.kvHead(forQueryHead: $0, queryHeads: 6, kvHeads: 3) }
                == [0, 0, 1, 1, 2, 2])
        #expect(KVHeadMapping.repeatInterleaved.kvHead(forQueryHead: 15, queryHeads: 16, kvHeads: 8) == 7)
    }

    @Test func keyHeadOrderChangesTheOutput() {
        func run(_ mapping: KVHeadMapping) -> [Float] {
            let config = AttentionConfig(queryHeads: 4, kvHeads: 2, headDim: 2, mapping: mapping, causal: false)
            let tape = Tape()
            let out = tape.attention(query: tape.constant(randomTensor([3, 8], seed: 1)),
                                     keys: tape.constant(randomTensor([3, 4], seed: 2)),
                                     values: tape.constant(randomTensor([3, 4], seed: 3)), batch: 1, config: config)
            return tape.value(out).array
        }
        let a = run(.concatenatedCopies), b = run(.repeatInterleaved)
        // Head 0 uses KV head 0 in both orders; head 1 differs (1 vs 0).
        #expect(Array(a[0..<2]) == Array(b[0..<2]))
        #expect(maxAbsDifference(Array(a[2..<4]), Array(b[2..<4])) > 1e-3)
    }

    @Test func maskedKeysGetExactlyZeroProbabilityAndFullyMaskedRowsAreUniform() {
        let config = AttentionConfig(queryHeads: 1, kvHeads: 1, headDim: 2, mapping: .concatenatedCopies, causal: false)
        let tape = Tape()
        let v = Tensor(shape: [6, 2], values: [1, 0, 0, 1, 100, 100, 1, 0, 0, 1, 5, 5])
        let out = tape.attention(query: tape.constant(randomTensor([2, 2], seed: 1)),
                                 keys: tape.constant(randomTensor([6, 2], seed: 2)),
                                 values: tape.constant(v), batch: 2, config: config,
                                 keyMask: [true, true, false, false, false, false])
        let o = tape.value(out).array
        // Batch 0: the masked value (100, 100) must not leak in.
        #expect(o[0] + o[1] < 1.0001 && o[0] >= 0 && o[1] >= 0)
        // Batch 1: no key allowed → uniform over all three values.
        #expect(maxAbsDifference(Array(o[2..<4]), [2, 2]) < 1e-5)
    }
}

@Suite struct SlidingWindowTests {
    /// With all scores equal and V the identity, row i of the output is the uniform
    /// distribution over the keys row i sees. HF's mask for 5 positions and sliding_window 3
    /// (`kv_idx <= q_idx` and `kv_idx > q_idx - 3`):
    ///   q0: 0   q1: 0 1   q2: 0 1 2   q3: 1 2 3   q4: 2 3 4
    static let huggingFaceRows: [[Int]] = [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4]]

    static func expected(rows: [[Int]], keys: Int) -> [Float] {
        rows.flatMap { seen in (0..<keys).map { seen.contains($0) ? 1 / Float(seen.count) : 0 } }
    }

    /// The output of zero queries (the last `queries` positions) over identity keys and values.
    static func uniformOverSeenKeys(queries: Int, keys: Int, window: Int) -> [Float] {
        let config = AttentionConfig(queryHeads: 1, kvHeads: 1, headDim: keys, mapping: .concatenatedCopies, causal: true,
                                     window: window)
        let identity = Tensor(shape: [keys, keys], values: (0..<(keys * keys)).map { $0 / keys == $0 % keys ? 1 : 0 })
        let tape = Tape()
        let out = tape.attention(query: tape.constant(Tensor(zeros: [queries, keys])), keys: tape.constant(identity),
                                 values: tape.constant(identity), batch: 1, config: config)
        return tape.value(out).array
    }

    @Test func trainingKernelSeesWhatHuggingFaceSees() {
        let out = Self.uniformOverSeenKeys(queries: 5, keys: 5, window: 3)
        #expect(maxAbsDifference(out, Self.expected(rows: Self.huggingFaceRows, keys: 5)) < 1e-6)
    }

    @Test func decodingWithACacheSeesOnlyTheLastWindowKeys() {
        // Queries are the last 2 of 7 positions: rows see keys 3…5 and 4…6.
        let out = Self.uniformOverSeenKeys(queries: 2, keys: 7, window: 3)
        #expect(maxAbsDifference(out, Self.expected(rows: [[3, 4, 5], [4, 5, 6]], keys: 7)) < 1e-6)
    }

    @Test func aWindowAsLongAsTheSequenceChangesNothing() {
        func config(_ window: Int?) -> AttentionConfig {
            AttentionConfig(queryHeads: 4, kvHeads: 2, headDim: 3, mapping: .repeatInterleaved, causal: true, window: window)
        }
        let q = randomArray(9 * 12, seed: 1), k = randomArray(9 * 6, seed: 2), v = randomArray(9 * 6, seed: 3)
        #expect(Attention.forwardReference(q: q, k: k, v: v, batch: 1, config: config(nil))
                == Attention.forwardReference(q: q, k: k, v: v, batch: 1, config: config(9)))
        #expect(Attention.forwardReference(q: q, k: k, v: v, batch: 1, config: config(nil))
                != Attention.forwardReference(q: q, k: k, v: v, batch: 1, config: config(8)))
    }
}

@Suite struct AttentionDecodingTests {
    @Test func causalQueriesAreTheLastPositionsOfTheKeys() {
        // One query row attending a cache of 5 keys equals the last row of full causal attention.
        let config = AttentionConfig(queryHeads: 4, kvHeads: 2, headDim: 3, mapping: .concatenatedCopies, causal: true)
        let q = randomTensor([5, 12], seed: 1), k = randomTensor([5, 6], seed: 2), v = randomTensor([5, 6], seed: 3)
        let tape = Tape()
        let full = tape.value(tape.attention(query: tape.constant(q), keys: tape.constant(k), values: tape.constant(v),
                                             batch: 1, config: config)).array
        let lastQuery = Tensor(shape: [1, 12], values: Array(q.array[48..<60]))
        let step = tape.value(tape.attention(query: tape.constant(lastQuery), keys: tape.constant(k),
                                             values: tape.constant(v), batch: 1, config: config)).array
        #expect(maxAbsDifference(step, Array(full[48..<60])) < 1e-6)
    }

    @Test func causalWithCacheHasCorrectGradients() {
        let config = AttentionConfig(queryHeads: 2, kvHeads: 1, headDim: 2, mapping: .repeatInterleaved, causal: true)
        let report = GradCheck.run(inputs: [randomTensor([2 * 2, 4], seed: 4), randomTensor([2 * 5, 2], seed: 5), randomTensor([2 * 5, 2], seed: 6)]) { t, v in
            t.attention(query: v[0], keys: v[1], values: v[2], batch: 2, config: config,
                        keyMask: [true, true, true, true, true, false, true, true, true, true])
        } reference: { x in
            Attention.forwardReference(q: x[0], k: x[1], v: x[2], batch: 2, config: config,
                                       keyMask: [true, true, true, true, true, false, true, true, true, true])
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }
}

@Suite struct AttentionKernelTests {
    @Test func probabilitiesAreExactlyZeroWhereMaskedAndRowsSumToOne() {
        let (batch, l) = (2, 5)
        let config = AttentionConfig(queryHeads: 2, kvHeads: 1, headDim: 4, mapping: .repeatInterleaved, causal: true)
        let q = randomTensor([batch * l, 8], seed: 1, std: 3), k = randomTensor([batch * l, 4], seed: 2, std: 3)
        let v = randomTensor([batch * l, 4], seed: 3)
        let mask: [UInt8] = [1, 1, 0, 1, 1, 1, 1, 1, 1, 0]
        let out = Tensor(zeros: [batch * l, 8]), probs = Tensor(zeros: [batch, 2, l, l]), scratch = Tensor(zeros: [2 * l * l])
        mask.withUnsafeBufferPointer { m in
            Attention.forward(out: out.data, probs: probs.data, q: q.data, k: k.data, v: v.data, keyMask: m.baseAddress,
                              dropoutMask: nil, scratch: scratch.data, batch: batch, queryLength: l, keyLength: l, config: config)
        }
        for b in 0..<batch {
            for h in 0..<2 {
                for i in 0..<l {
                    var sum: Float = 0
                    for j in 0..<l {
                        let p = probs[((b * 2 + h) * l + i) * l + j]
                        if j > i || mask[b * l + j] == 0 { #expect(p == 0, "b\(b) h\(h) i\(i) j\(j)") }
                        sum += p
                    }
                    #expect(abs(sum - 1) < 1e-6)
                }
            }
        }
    }
}
