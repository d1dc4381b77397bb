import Testing
import SLMTensor

/// Every fast kernel against its scalar reference twin on odd shapes.
@Suite struct KernelTwinTests {
    @Test(arguments: [(1, 1, 1), (1, 7, 33), (7, 33, 5), (33, 1, 7), (5, 1023, 3), (1, 1023, 64)])
    func gemmMatchesReferenceForAllTransposesAndBeta(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for transA in [false, true] {
            for transB in [false, true] {
                let a = randomArray(m * k, seed: 1)
                let b = randomArray(k * n, seed: 2)
                let c0 = randomArray(m * n, seed: 3)
                let expected = Matmul.gemmReference(
                    a.map(Double.init), b.map(Double.init), c: c0.map(Double.init), m: m, n: n, k: k,
                    transA: transA, transB: transB, alpha: 0.5, beta: 2
                ).map(Float.init)
                let out = Tensor(shape: [m, n], values: c0)
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        Matmul.gemm(out.data, ap.baseAddress!, bp.baseAddress!, m: m, n: n, k: k,
                                    transA: transA, transB: transB, alpha: 0.5, beta: 2)
                    }
                }
                #expect(relativeError(out.array, expected) < 1e-5, "m\(m) n\(n) k\(k) tA \(transA) tB \(transB)")
            }
        }
    }

    @Test func gemmWithBetaZeroIgnoresGarbageInOutput() {
        let a = randomArray(3 * 4, seed: 4), b = randomArray(4 * 5, seed: 5)
        for m in [1, 3] {
            let out = Tensor(shape: [m, 5], repeating: .nan)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    Matmul.gemm(out.data, ap.baseAddress!, bp.baseAddress!, m: m, n: 5, k: 4)
                }
            }
            let expected = Matmul.gemmReference(Array(a.prefix(m * 4)), b, m: m, n: 5, k: 4)
            #expect(relativeError(out.array, expected) < 1e-5)
        }
    }

    @Test func elementwiseOps() {
        for n in oddColumnCounts {
            let a = randomArray(n, seed: 1), b = randomArray(n, seed: 2)
            let out = Tensor(zeros: [n])
            Elementwise.add(out.data, a, b, count: n)
            #expect(out.array == zip(a, b).map { $0 + $1 })
            Elementwise.mul(out.data, a, b, count: n)
            #expect(out.array == zip(a, b).map { $0 * $1 })
            Elementwise.scale(out.data, a, by: 3, count: n)
            #expect(out.array == a.map { $0 * 3 })
            let y = Tensor(shape: [n], values: b)
            Elementwise.axpy(y.data, alpha: -2, a, count: n)
            #expect(maxAbsDifference(y.array, zip(a, b).map { $1 - 2 * $0 }) < 1e-6)
        }
    }

    @Test func vectorExpMatchesLibmOverItsRange() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = vexp(Vec8(repeating: x))[0]
            worst = max(worst, abs(v - x.exponential) / x.exponential)
            x += 0.0137
        }
        #expect(worst < 5e-7)
        #expect(vexp(Vec8(repeating: -1000))[0] == 0)
        #expect(vexp(Vec8(repeating: -.infinity))[0] == 0)
        #expect(vexp(Vec8(repeating: 1000))[0].isFinite)
        #expect(vexp(Vec8(repeating: .nan))[0].isNaN)
        #expect(abs(vtanh(Vec8(repeating: 0.5))[0] - Float(0.5).hyperbolicTangent) < 2e-7)
    }

    @Test(arguments: oddColumnCounts)
    func softmaxAndLogSoftmaxMatchReference(cols: Int) {
        let rows = 3
        let x = randomArray(rows * cols, seed: 9, scale: 4)
        let out = Tensor(zeros: [rows, cols])
        Softmax.forward(out.data, x, rows: rows, cols: cols)
        #expect(relativeError(out.array, Softmax.forwardReference(x, rows: rows, cols: cols)) < 2e-6)
        Softmax.logForward(out.data, x, rows: rows, cols: cols)
        let expected = Softmax.logForwardReference(x.map(Double.init), rows: rows, cols: cols).map(Float.init)
        #expect(maxAbsDifference(out.array, expected) < 2e-5)
    }

    @Test(arguments: oddColumnCounts)
    func exponentiateDividedBySumsIsTheSoftmax(cols: Int) {
        let rows = 3
        let x = randomArray(rows * cols, seed: 11, scale: 4)
        let out = Tensor(shape: [rows, cols], values: x)
        let sums = Tensor(zeros: [rows])
        Softmax.exponentiate(out.data, rows: rows, cols: cols, sums: sums.data)
        var divided = out.array
        for i in 0..<(rows * cols) { divided[i] /= sums[i / cols] }
        #expect(relativeError(divided, Softmax.forwardReference(x, rows: rows, cols: cols)) < 2e-6)
    }

    @Test func softmaxGivesExactZeroToMinusInfinity() {
        let out = Tensor(zeros: [1, 9])
        Softmax.forward(out.data, [0, -.infinity, 0, -.infinity, 0, 0, 0, 0, -.infinity], rows: 1, cols: 9)
        let sixth: Float = 1 / 6
        #expect(maxAbsDifference(out.array, [sixth, 0, sixth, 0, sixth, sixth, sixth, sixth, 0]) < 1e-7)
        #expect(out[1] == 0 && out[3] == 0 && out[8] == 0)
    }

    @Test func softmaxIsStableForHugeLogits() {
        let out = Tensor(zeros: [1, 3])
        Softmax.forward(out.data, [1000, 1000, -1000], rows: 1, cols: 3)
        #expect(maxAbsDifference(out.array, [0.5, 0.5, 0]) < 1e-6)
    }

    @Test(arguments: oddColumnCounts)
    func rmsNormMatchesReference(cols: Int) {
        let rows = 3
        let x = randomArray(rows * cols, seed: 11), w = randomArray(cols, seed: 12)
        let out = Tensor(zeros: [rows, cols]), rstd = Tensor(zeros: [rows])
        RMSNorm.forward(out.data, rstd: rstd.data, x, weight: w, rows: rows, cols: cols, eps: 1e-6)
        let expected = RMSNorm.forwardReference(x.map(Double.init), weight: w.map(Double.init),
                                                rows: rows, cols: cols, eps: 1e-6).map(Float.init)
        #expect(relativeError(out.array, expected) < 1e-5)
    }

    @Test(arguments: oddColumnCounts)
    func activationsMatchReference(n: Int) {
        let x = randomArray(n, seed: 13, scale: 3)
        let up = randomArray(n, seed: 14)
        let out = Tensor(zeros: [n])
        Activations.geluForward(out.data, x, count: n)
        #expect(maxAbsDifference(out.array, Activations.geluReference(x.map(Double.init)).map(Float.init)) < 1e-6)
        Activations.siluForward(out.data, x, count: n)
        #expect(maxAbsDifference(out.array, Activations.siluReference(x.map(Double.init)).map(Float.init)) < 1e-6)
        Activations.swigluForward(out.data, gate: x, up: up, count: n)
        let swiglu = Activations.swigluReference(gate: x.map(Double.init), up: up.map(Double.init))
        #expect(maxAbsDifference(out.array, swiglu.map(Float.init)) < 2e-6)
    }

    @Test func geluIsTheTanhApproximationNotErf() {
        let out = Tensor(zeros: [1])
        Activations.geluForward(out.data, [1], count: 1)
        // tanh form: 0.8411920; erf form: 0.8413447.
        #expect(abs(out[0] - 0.841_192) < 1e-6)
    }

    @Test func ropePositionHelpersFollowTheSpec() {
        #expect(RoPETables.centredPositions(length: 4) == [-1, 0, 1, 2])
        #expect(RoPETables.centredPositions(length: 49).first == -24)
        #expect(RoPETables.centredPositions(length: 49).last == 24)
        #expect(RoPETables.centredPositions(length: 1024).first == -511)
        #expect(RoPETables.centredPositions(length: 1024).last == 512)
        #expect(RoPETables.causalPositions(length: 3) == [0, 1, 2])
    }

    @Test(arguments: [2, 16, 34])
    func ropeMatchesReferenceWithNegativePositions(headDim: Int) {
        let heads = 3, batch = 2
        let positions = RoPETables.centredPositions(length: 5)
        let rows = batch * positions.count
        let x = randomArray(rows * heads * headDim, seed: 15)
        let tables = RoPETables(positions: positions, headDim: headDim)
        let out = Tensor(zeros: [rows, heads * headDim])
        RoPE.forward(out.data, x, tables: tables, rows: rows, heads: heads)
        let expected = RoPE.forwardReference(x.map(Double.init), positions: positions,
                                             headDim: headDim, heads: heads).map(Float.init)
        #expect(maxAbsDifference(out.array, expected) < 1e-5)
        // Rotation preserves each head's norm; position 0 is the identity.
        let back = Tensor(zeros: [rows, heads * headDim])
        RoPE.backward(dx: back.data, dy: out.data, tables: tables, rows: rows, heads: heads)
        #expect(maxAbsDifference(back.array, x) < 1e-5)  // R(−φ)·R(φ) = I
        let p0 = positions.firstIndex(of: 0)!
        let w = heads * headDim
        #expect(Array(out.array[(p0 * w)..<((p0 + 1) * w)]) == Array(x[(p0 * w)..<((p0 + 1) * w)]))
    }

    @Test func ropeOnSlicesOfRowsEqualsRopeOnAllRows() {
        let heads = 2, headDim = 8, width = heads * headDim
        let tables = RoPETables(positions: RoPETables.centredPositions(length: 9), headDim: headDim)
        let x = randomArray(9 * width, seed: 16)
        let whole = Tensor(zeros: [9, width]), sliced = Tensor(zeros: [9, width])
        RoPE.forward(whole.data, x, tables: tables, rows: 9, heads: heads)
        for (start, end) in [(0, 4), (4, 7), (7, 9)] {
            RoPE.forward(sliced.data + start * width, x.withUnsafeBufferPointer { $0.baseAddress! } + start * width,
                         tables: tables, rows: end - start, heads: heads, firstRow: start)
        }
        #expect(sliced.array == whole.array)
    }

    @Test func ropeTablesCanRoundToBFloat16() {
        let t = RoPETables(positions: [3], headDim: 4, roundToBFloat16: true)
        for v in t.cos + t.sin { #expect(HalfPrecision.roundedToBFloat16(v) == v) }
        let exact = RoPETables(positions: [3], headDim: 4)
        #expect(exact.cos != t.cos)
    }

    @Test func crossEntropyIgnoresIndexAndMatchesReference() {
        let rows = 4, vocab = 33
        let logits = randomArray(rows * vocab, seed: 16, scale: 2)
        let targets: [Int32] = [3, 0, 32, 0]
        let probs = Tensor(zeros: [rows, vocab])
        let (sum, counted) = Losses.crossEntropyForward(
            probs: probs.data, logits: logits, targets: targets, rows: rows, vocab: vocab, ignoreIndex: 0)
        #expect(counted == 2)
        let expected = Losses.crossEntropyReference(logits: logits.map(Double.init), targets: targets,
                                                    rows: rows, vocab: vocab, ignoreIndex: 0)
        #expect(abs(sum / Double(counted) - expected) < 1e-5)
    }

    @Test func klIsZeroForIdenticalDistributionsAndMatchesReference() {
        let rows = 3, vocab = 7
        let t = Softmax.logForwardReference(randomArray(rows * vocab, seed: 17), rows: rows, cols: vocab)
        let s = Softmax.logForwardReference(randomArray(rows * vocab, seed: 18), rows: rows, cols: vocab)
        #expect(abs(Losses.klForward(teacherLogProbs: t, studentLogProbs: t, rows: rows, vocab: vocab)) < 1e-6)
        let kl = Losses.klForward(teacherLogProbs: t, studentLogProbs: s, rows: rows, vocab: vocab) / Double(rows)
        let expected = Losses.klReference(teacherLogProbs: t.map(Double.init), studentLogProbs: s.map(Double.init), rows: rows)
        #expect(kl > 0)
        #expect(abs(kl - expected) < 1e-5)
    }

    @Test func dropoutMaskIsSeededScaledAndRoughlyP() {
        var a = SeededRNG(seed: 5), b = SeededRNG(seed: 5)
        let m1 = Dropout.maskReference(count: 10_000, p: 0.1, rng: &a)
        let m2 = Dropout.maskReference(count: 10_000, p: 0.1, rng: &b)
        #expect(m1 == m2)
        #expect(a == b)
        let dropped = m1.filter { $0 == 0 }.count
        #expect(dropped > 850 && dropped < 1150)
        #expect(m1.allSatisfy { $0 == 0 || abs($0 - 1 / 0.9) < 1e-6 })
        var c = SeededRNG(seed: 5)
        #expect(Dropout.maskReference(count: 10, p: 0, rng: &c).allSatisfy { $0 == 1 })
    }
}

@Suite struct KernelEdgeCaseTests {
    @Test func crossEntropyStaysExactWhenTheTargetProbabilityUnderflows() {
        let probs = Tensor(zeros: [1, 2])
        let (sum, counted) = Losses.crossEntropyForward(
            probs: probs.data, logits: [0, -200], targets: [1], rows: 1, vocab: 2, ignoreIndex: -100)
        #expect(counted == 1)
        #expect(abs(sum - 200) < 1e-4)  // p = e^-200 underflows fp32; the loss must not
    }

    @Test func softmaxReportsLogSumExp() {
        let out = Tensor(zeros: [2, 3])
        let lse = Tensor(zeros: [2])
        Softmax.forward(out.data, [1, 2, 3, -1, 0, 5], rows: 2, cols: 3, logSumExp: lse.data)
        let expected = Softmax.logForwardReference([1.0, 2, 3, -1, 0, 5], rows: 2, cols: 3)
        #expect(abs(Double(1 - lse[0]) - expected[0]) < 1e-6)
        #expect(abs(Double(5 - lse[1]) - expected[5]) < 1e-6)
    }
}
