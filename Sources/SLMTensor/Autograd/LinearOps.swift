/// Embedding lookup and PyTorch-style Linear layers.
extension Tape {
    /// out[i, :] = table[ids[i], :].  table [vocab, dim] → out [ids.count, dim].
    /// Backward scatter-adds rows into the table gradient (repeated ids accumulate).
    public func embedding(_ table: Variable, ids: [Int32]) -> Variable {
        let t = value(table)
        precondition(t.shape.count == 2, "embedding table must be 2-D, got \(t.shape)")
        let vocab = t.shape[0], dim = t.shape[1]
        let out = Tensor(uninitialized: [ids.count, dim])
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < vocab, "token id \(id) outside vocabulary \(vocab)")
            (out.data + i * dim).update(from: t.data + Int(id) * dim, count: dim)
        }
        return record(out, inputs: [table]) { tape, dy in
            guard let dTable = tape.gradBuffer(table) else { return }
            for (i, id) in ids.enumerated() {
                Elementwise.axpy(dTable.data + Int(id) * dim, alpha: 1, dy.data + i * dim, count: dim)
            }
        }
    }

    /// y = x · Wᵀ + b.  x [rows, in], weight [out, in] (PyTorch layout), bias [out] → y [rows, out].
    /// With `weight` = the embedding table this is the tied lm_head: logits = x · WTEᵀ.
    public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
        let xv = value(x), w = value(weight)
        precondition(w.shape.count == 2, "linear weight must be 2-D [out, in], got \(w.shape)")
        let outFeatures = w.shape[0], inFeatures = w.shape[1]
        precondition(xv.columns == inFeatures, "linear input width \(xv.columns) ≠ weight in-features \(inFeatures)")
        let rows = xv.rows
        let out = Tensor(uninitialized: Array(xv.shape.dropLast()) + [outFeatures])
        if let bias {
            let b = value(bias)
            precondition(b.count == outFeatures, "bias has \(b.count) entries, expected \(outFeatures)")
            for r in 0..<rows { (out.data + r * outFeatures).update(from: b.data, count: outFeatures) }
        }
        Matmul.gemm(out.data, xv.data, w.data, m: rows, n: outFeatures, k: inFeatures,
                    transB: true, beta: bias == nil ? 0 : 1)
        var inputs = [x, weight]
        if let bias { inputs.append(bias) }
        return record(out, inputs: inputs) { tape, dy in
            if let dx = tape.gradBuffer(x) {
                // dx [rows, in] += dy [rows, out] · W [out, in]
                Matmul.gemm(dx.data, dy.data, w.data, m: rows, n: inFeatures, k: outFeatures, beta: 1)
            }
            if let dw = tape.gradBuffer(weight) {
                // dW [out, in] += dyᵀ [out, rows] · x [rows, in]
                Matmul.gemm(dw.data, dy.data, xv.data, m: outFeatures, n: inFeatures, k: rows,
                            transA: true, beta: 1)
            }
            if let bias, let db = tape.gradBuffer(bias) {
                for r in 0..<rows { Elementwise.axpy(db.data, alpha: 1, dy.data + r * outFeatures, count: outFeatures) }
            }
        }
    }
}
