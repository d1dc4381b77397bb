import Testing
import SLMTensor

/// Double reference of y = x Wᵀ + b, x [rows, in], w [out, in].
func linearReference(_ x: [Double], _ w: [Double], _ b: [Double]?, rows: Int, inFeatures: Int, outFeatures: Int) -> [Double] {
    var y = Matmul.gemmReference(x, w, m: rows, n: outFeatures, k: inFeatures, transB: true)
    if let b { for r in 0..<rows { for o in 0..<outFeatures { y[r * outFeatures + o] += b[o] } } }
    return y
}

func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
    var rng = SeededRNG(seed: seed)
    return Tensor.randomNormal(shape: shape, std: std, rng: &rng)
}

let gradTolerance = 1e-3

/// One gradient check per op (fp32 analytic vs Double central differences).
@Suite struct GradCheckTests {
    @Test(arguments: [1, 3])
    func linearWithBias(rows: Int) {
        let (i, o) = (5, 7)
        let report = GradCheck.run(inputs: [randomTensor([rows, i], seed: 1), randomTensor([o, i], seed: 2), randomTensor([o], seed: 3)]) { t, v in
            t.linear(v[0], weight: v[1], bias: v[2])
        } reference: { x in
            linearReference(x[0], x[1], x[2], rows: rows, inFeatures: i, outFeatures: o)
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func linearWithoutBias() {
        let report = GradCheck.run(inputs: [randomTensor([4, 3], seed: 4), randomTensor([6, 3], seed: 5)]) { t, v in
            t.linear(v[0], weight: v[1])
        } reference: { x in
            linearReference(x[0], x[1], nil, rows: 4, inFeatures: 3, outFeatures: 6)
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func embeddingWithRepeatedIds() {
        let ids: [Int32] = [2, 0, 2, 4]
        let report = GradCheck.run(inputs: [randomTensor([5, 3], seed: 6)]) { t, v in
            t.embedding(v[0], ids: ids)
        } reference: { x in
            ids.flatMap { id in x[0][(Int(id) * 3)..<(Int(id) * 3 + 3)] }
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func tiedEmbeddingAndLMHeadAccumulateIntoOneGradient() {
        // logits = WTE[ids] · WTEᵀ, then CE: the table gets gradient from both uses.
        let ids: [Int32] = [1, 3, 0]
        let targets: [Int32] = [2, 0, 4]
        let report = GradCheck.run(inputs: [randomTensor([5, 4], seed: 7)]) { t, v in
            let h = t.embedding(v[0], ids: ids)
            let logits = t.linear(h, weight: v[0])
            return t.crossEntropy(logits: logits, targets: targets, ignoreIndex: -100)
        } reference: { x in
            let h = ids.flatMap { id in x[0][(Int(id) * 4)..<(Int(id) * 4 + 4)] }
            let logits = linearReference(h, x[0], nil, rows: 3, inFeatures: 4, outFeatures: 5)
            return [Losses.crossEntropyReference(logits: logits, targets: targets, rows: 3, vocab: 5, ignoreIndex: -100)]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    // cols = 1 is excluded on purpose: there y ≈ w·sign(x) and dy/dx ~ eps/|x|³ is below
    // fp32 resolution (1 − x²r² cancels), in any fp32 implementation.
    @Test(arguments: [2, 7, 33])
    func rmsNormInputAndWeight(cols: Int) {
        let rows = 3
        let report = GradCheck.run(inputs: [randomTensor([rows, cols], seed: 8), randomTensor([cols], seed: 9)]) { t, v in
            t.rmsNorm(v[0], weight: v[1])
        } reference: { x in
            RMSNorm.forwardReference(x[0], weight: x[1], rows: rows, cols: cols, eps: 1e-6)
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    // headDim 6: scalar tail only; 18: one SIMD8 step plus a tail.
    @Test(arguments: [6, 18])
    func ropeWithCentredPositions(headDim: Int) {
        let heads = 2, batch = 2
        let positions = RoPETables.centredPositions(length: 5)
        let tables = RoPETables(positions: positions, headDim: headDim)
        let report = GradCheck.run(inputs: [randomTensor([batch * 5, heads * headDim], seed: 10)]) { t, v in
            t.rope(v[0], tables: tables, heads: heads)
        } reference: { x in
            RoPE.forwardReference(x[0], positions: positions, headDim: headDim, heads: heads)
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func gelu() {
        let report = GradCheck.run(inputs: [randomTensor([3, 11], seed: 11, std: 2)]) { t, v in
            t.gelu(v[0])
        } reference: { x in Activations.geluReference(x[0]) }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func swiglu() {
        let report = GradCheck.run(inputs: [randomTensor([3, 11], seed: 12, std: 2), randomTensor([3, 11], seed: 13)]) { t, v in
            t.swiglu(gate: v[0], up: v[1])
        } reference: { x in Activations.swigluReference(gate: x[0], up: x[1]) }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func addAndScale() {
        let report = GradCheck.run(inputs: [randomTensor([2, 5], seed: 14), randomTensor([2, 5], seed: 15)]) { t, v in
            t.add(t.scale(v[0], by: 0.9), t.scale(v[1], by: 0.1))
        } reference: { x in zip(x[0], x[1]).map { 0.9 * $0 + 0.1 * $1 } }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func dropoutUsesTheTapeRNG() {
        let rng = SeededRNG(seed: 77)
        let report = GradCheck.run(inputs: [randomTensor([4, 9], seed: 16)], training: true, tapeRNG: rng) { t, v in
            t.dropout(v[0], p: 0.3)
        } reference: { x in
            var r = rng
            let mask = Dropout.maskReference(count: 36, p: 0.3, rng: &r)
            return zip(x[0], mask).map { $0 * Double($1) }
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func dropoutIsIdentityInEvalMode() {
        let tape = Tape(training: false)
        let x = tape.constant(randomTensor([3], seed: 1))
        #expect(tape.dropout(x, p: 0.5) == x)
    }

    @Test(arguments: [7, 19])
    func logSoftmax(cols: Int) {
        let report = GradCheck.run(inputs: [randomTensor([3, cols], seed: 17, std: 2)]) { t, v in
            t.logSoftmax(v[0])
        } reference: { x in Softmax.logForwardReference(x[0], rows: 3, cols: cols) }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func crossEntropyWithIgnoreIndex() {
        let targets: [Int32] = [3, 0, 12, 0, 1]
        let report = GradCheck.run(inputs: [randomTensor([5, 13], seed: 18, std: 2)]) { t, v in
            t.crossEntropy(logits: v[0], targets: targets, ignoreIndex: 0)
        } reference: { x in
            [Losses.crossEntropyReference(logits: x[0], targets: targets, rows: 5, vocab: 13, ignoreIndex: 0)]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func crossEntropyWithEveryRowIgnoredIsZero() {
        let tape = Tape()
        let p = Parameter(name: "logits", value: randomTensor([2, 3], seed: 1))
        let loss = tape.crossEntropy(logits: tape.parameter(p), targets: [-100, -100], ignoreIndex: -100)
        #expect(tape.value(loss)[0] == 0)
        tape.backward(from: loss)
        #expect(p.grad.array.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [6, 17])
    func klOnLogSoftmaxOfBothSides(vocab: Int) {
        // KD loss as in Mu: KL(teacher ‖ student) on log-softmax outputs, both differentiated.
        let rows = 3
        let report = GradCheck.run(inputs: [randomTensor([rows, vocab], seed: 19, std: 2), randomTensor([rows, vocab], seed: 20, std: 2)]) { t, v in
            t.klDivergence(teacherLogProbs: t.logSoftmax(v[0]), studentLogProbs: t.logSoftmax(v[1]))
        } reference: { x in
            [Losses.klReference(teacherLogProbs: Softmax.logForwardReference(x[0], rows: rows, cols: vocab),
                                studentLogProbs: Softmax.logForwardReference(x[1], rows: rows, cols: vocab), rows: rows)]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func klDirectlyOnLogProbabilities() {
        let rows = 2, vocab = 5
        let teacher = Tensor(shape: [rows, vocab], values: Softmax.logForwardReference(randomArray(10, seed: 21), rows: rows, cols: vocab))
        let report = GradCheck.run(inputs: [teacher, randomTensor([rows, vocab], seed: 22)]) { t, v in
            t.klDivergence(teacherLogProbs: v[0], studentLogProbs: v[1])
        } reference: { x in
            [Losses.klReference(teacherLogProbs: x[0], studentLogProbs: x[1], rows: rows)]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func gradCheckDetectsAWrongBackward() {
        // A deliberately wrong backward (factor 2) must fail the check: the tests can fail.
        let report = GradCheck.run(inputs: [randomTensor([4], seed: 23)]) { t, v in
            let x = t.value(v[0])
            let out = x.copy()
            return t.record(out, inputs: [v[0]]) { tape, dy in
                if let dx = tape.gradBuffer(v[0]) { Elementwise.axpy(dx.data, alpha: 2, dy.data, count: dy.count) }
            }
        } reference: { x in x[0] }
        #expect(report.maxRelativeError > 0.4)
    }
}

@Suite struct ShapeOpTests {
    @Test func sliceColumnsThenKDOnTheTruncatedVocabulary() {
        // Student logits over 11 entries, teacher over 9: KL on the first 9 of each.
        let rows = 2
        let teacher = Softmax.logForwardReference(randomArray(rows * 9, seed: 1).map(Double.init), rows: rows, cols: 9)
        let report = GradCheck.run(inputs: [randomTensor([rows, 11], seed: 2, std: 2)]) { t, v in
            let student = t.logSoftmax(t.sliceColumns(v[0], 0..<9))
            return t.klDivergence(teacherLogProbs: t.constant(Tensor(shape: [rows, 9], values: teacher.map(Float.init))),
                                  studentLogProbs: student)
        } reference: { x in
            let kept = (0..<rows).flatMap { r in x[0][(r * 11)..<(r * 11 + 9)] }
            return [Losses.klReference(teacherLogProbs: teacher,
                                       studentLogProbs: Softmax.logForwardReference(kept, rows: rows, cols: 9), rows: rows)]
        }
        #expect(report.maxRelativeError < gradTolerance, "\(report)")
    }

    @Test func sliceColumnsCopiesTheRange() {
        let tape = Tape()
        let x = tape.constant(Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        let y = tape.value(tape.sliceColumns(x, 1..<3))
        #expect(y.shape == [2, 2])
        #expect(y.array == [2, 3, 5, 6])
    }
}
