/// Log-softmax, cross-entropy and the distillation KL, each returning a scalar or log-probs.
extension Tape {
    /// Log-softmax over the last axis.
    public func logSoftmax(_ x: Variable) -> Variable {
        let xv = value(x)
        let out = Tensor(uninitialized: xv.shape)
        Softmax.logForward(out.data, xv.data, rows: xv.rows, cols: xv.columns)
        return record(out, inputs: [x]) { tape, dy in
            if let dx = tape.gradBuffer(x) {
                Softmax.logBackward(dx: dx.data, dy: dy.data, y: out.data, rows: dy.rows, cols: dy.columns)
            }
        }
    }

    /// Mean softmax cross-entropy over rows whose target ≠ ignoreIndex.
    /// logits [rows, vocab], targets [rows] → scalar []. 0 (with zero gradient) when every
    /// row is ignored, where PyTorch would return NaN.
    public func crossEntropy(logits: Variable, targets: [Int32], ignoreIndex: Int32) -> Variable {
        let lv = value(logits)
        let rows = lv.rows, vocab = lv.columns
        precondition(targets.count == rows, "\(targets.count) targets for \(rows) rows")
        let probs = Tensor(uninitialized: lv.shape)
        // Rows split in chunks over the workers; partial sums combined in chunk order
        // (deterministic).
        var partial = [(sum: Double, counted: Int)](repeating: (0, 0), count: Parallel.maxWorkers)
        let minimumRows = max(1, (1 << 16) / max(vocab, 1))
        targets.withUnsafeBufferPointer { t in
            partial.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Parallel.indexedRanges(rows, minimum: minimumRows, granule: 1) { chunk, r in
                    out[chunk] = Losses.crossEntropyForward(
                        probs: probs.data + r.lowerBound * vocab, logits: lv.data + r.lowerBound * vocab,
                        targets: t.baseAddress! + r.lowerBound, rows: r.count, vocab: vocab, ignoreIndex: ignoreIndex)
                }
            }
        }
        let sum = partial.reduce(0) { $0 + $1.sum }, counted = partial.reduce(0) { $0 + $1.counted }
        let loss = Tensor(shape: [], values: [counted == 0 ? 0 : Float(sum / Double(counted))])
        return record(loss, inputs: [logits]) { tape, dy in
            guard counted > 0, let dl = tape.gradBuffer(logits) else { return }
            let scale = dy.data[0] / Float(counted)
            targets.withUnsafeBufferPointer { t in
                Parallel.ranges(rows, minimum: minimumRows, granule: 1) { r in
                    Losses.crossEntropyBackward(dlogits: dl.data + r.lowerBound * vocab, probs: probs.data + r.lowerBound * vocab,
                                                targets: t.baseAddress! + r.lowerBound, rows: r.count, vocab: vocab,
                                                ignoreIndex: ignoreIndex, scale: scale)
                }
            }
        }
    }

    /// KL(teacher ‖ student) = (1/rows) Σ_rows Σ_v p_T (log p_T − log p_S) on log-probabilities
    /// [rows, vocab] ("batchmean", no temperature; every row counts, padding included).
    public func klDivergence(teacherLogProbs: Variable, studentLogProbs: Variable) -> Variable {
        let t = value(teacherLogProbs), s = value(studentLogProbs)
        precondition(t.shape == s.shape, "KL: teacher \(t.shape) and student \(s.shape) differ")
        let rows = t.rows
        let total = Losses.klForward(teacherLogProbs: t.data, studentLogProbs: s.data, rows: rows, vocab: t.columns)
        let loss = Tensor(shape: [], values: [Float(total / Double(max(rows, 1)))])
        return record(loss, inputs: [teacherLogProbs, studentLogProbs]) { tape, dy in
            Losses.klBackward(dteacher: tape.gradBuffer(teacherLogProbs)?.data,
                              dstudent: tape.gradBuffer(studentLogProbs)?.data,
                              teacherLogProbs: t.data, studentLogProbs: s.data, count: t.count,
                              scale: dy.data[0] / Float(max(rows, 1)))
        }
    }
}
