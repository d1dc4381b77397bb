/// Cross-entropy and KL kernels over rows of logits / log-probabilities [rows, vocab].
public enum Losses {
    /// Softmax cross-entropy with an ignore index.
    /// Writes probs = softmax(logits) (saved for backward) and returns the summed loss
    /// Σ −log p[target] over rows whose target ≠ ignoreIndex, with the number of such rows.
    public static func crossEntropyForward(
        probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        rows: Int, vocab: Int, ignoreIndex: Int32
    ) -> (sum: Double, counted: Int) {
        var sum = 0.0
        var counted = 0
        for r in 0..<rows {
            // −log p_t = logsumexp(row) − x_t: exact even where p_t underflows.
            var logSumExp: Float = 0
            Softmax.forward(probs + r * vocab, logits + r * vocab, rows: 1, cols: vocab, logSumExp: &logSumExp)
            let t = targets[r]
            if t == ignoreIndex { continue }
            precondition(t >= 0 && Int(t) < vocab, "target \(t) outside vocabulary \(vocab)")
            sum += Double(logSumExp) - Double(logits[r * vocab + Int(t)])
            counted += 1
        }
        return (sum, counted)
    }

    /// dlogits += scale · (probs − onehot(target)) on counted rows; ignored rows get nothing.
    /// For a mean loss, scale = upstream / counted.
    public static func crossEntropyBackward(
        dlogits: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, targets: UnsafePointer<Int32>,
        rows: Int, vocab: Int, ignoreIndex: Int32, scale: Float
    ) {
        for r in 0..<rows {
            let t = targets[r]
            if t == ignoreIndex { continue }
            Elementwise.axpy(dlogits + r * vocab, alpha: scale, probs + r * vocab, count: vocab)
            dlogits[r * vocab + Int(t)] -= scale
        }
    }

    /// Σ_rows Σ_v p_T(v) (log p_T(v) − log p_S(v)), p_T = exp(teacher log-probs).
    /// Divide by rows for PyTorch's "batchmean".
    public static func klForward(
        teacherLogProbs: UnsafePointer<Float>, studentLogProbs: UnsafePointer<Float>, rows: Int, vocab: Int
    ) -> Double {
        let tail = vocab % 8, body = vocab - tail
        var total = 0.0
        for r in 0..<rows {
            let lt = teacherLogProbs + r * vocab
            let ls = studentLogProbs + r * vocab
            var acc = Vec8()
            var j = 0
            while j < body {
                let t = load8(lt + j)
                acc += vexp(t) * (t - load8(ls + j))
                j += 8
            }
            if tail > 0 {
                let t = loadPartial(lt + body, tail)
                acc += zeroingLanes(vexp(t) * (t - loadPartial(ls + body, tail)), from: tail)
            }
            total += Double(acc.sum())
        }
        return total
    }

    /// Accumulates the gradients of scale · Σ p_T (log p_T − log p_S):
    ///   d/d log p_S = −scale · p_T,   d/d log p_T = scale · p_T (log p_T − log p_S + 1)
    public static func klBackward(
        dteacher: UnsafeMutablePointer<Float>?, dstudent: UnsafeMutablePointer<Float>?,
        teacherLogProbs: UnsafePointer<Float>, studentLogProbs: UnsafePointer<Float>, count: Int, scale: Float
    ) {
        let tail = count % 8, body = count - tail
        let lt = teacherLogProbs, ls = studentLogProbs
        if let d = dstudent {
            var i = 0
            while i < body {
                store8(load8(d + i) - scale * vexp(load8(lt + i)), d + i)
                i += 8
            }
            if tail > 0 { storePartial(loadPartial(d + body, tail) - scale * vexp(loadPartial(lt + body, tail)), d + body, tail) }
        }
        if let d = dteacher {
            var i = 0
            while i < body {
                let t = load8(lt + i)
                store8(load8(d + i) + scale * vexp(t) * (t - load8(ls + i) + 1), d + i)
                i += 8
            }
            if tail > 0 {
                let t = loadPartial(lt + body, tail)
                let v = loadPartial(d + body, tail) + scale * vexp(t) * (t - loadPartial(ls + body, tail) + 1)
                storePartial(v, d + body, tail)
            }
        }
    }

    /// Mean cross-entropy over non-ignored rows (0 when every row is ignored).
    public static func crossEntropyReference<T: ReferenceScalar>(
        logits: [T], targets: [Int32], rows: Int, vocab: Int, ignoreIndex: Int32
    ) -> T {
        let logProbs = Softmax.logForwardReference(logits, rows: rows, cols: vocab)
        var sum: T = 0
        var counted = 0
        for r in 0..<rows where targets[r] != ignoreIndex {
            sum -= logProbs[r * vocab + Int(targets[r])]
            counted += 1
        }
        return counted == 0 ? 0 : sum / T(counted)
    }

    /// (1/rows) Σ p_T (log p_T − log p_S) on log-probabilities.
    public static func klReference<T: ReferenceScalar>(
        teacherLogProbs: [T], studentLogProbs: [T], rows: Int
    ) -> T {
        var sum: T = 0
        for (t, s) in zip(teacherLogProbs, studentLogProbs) { sum += t.exponential * (t - s) }
        return sum / T(rows)
    }
}
