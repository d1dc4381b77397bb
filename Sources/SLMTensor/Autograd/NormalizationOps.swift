/// RMSNorm on the tape.
extension Tape {
    /// RMSNorm over the last axis with a learned weight [cols]; eps 1e-6 as in Mu.
    public func rmsNorm(_ x: Variable, weight: Variable, eps: Float = 1e-6) -> Variable {
        let xv = value(x), w = value(weight)
        let rows = xv.rows, cols = xv.columns
        precondition(w.count == cols, "RMSNorm weight has \(w.count) entries, input width is \(cols)")
        let out = Tensor(uninitialized: xv.shape)
        let rstd = Tensor(uninitialized: [rows])
        Parallel.ranges(rows, minimum: max(1, (1 << 16) / max(cols, 1)), granule: 1) { r in
            let o = r.lowerBound * cols
            RMSNorm.forward(out.data + o, rstd: rstd.data + r.lowerBound, xv.data + o, weight: w.data,
                            rows: r.count, cols: cols, eps: eps)
        }
        return record(out, inputs: [x, weight]) { tape, dy in
            // dx rows are independent (split over workers); dweight sums over rows (one pass).
            if let dx = tape.gradBuffer(x) {
                Parallel.ranges(rows, minimum: max(1, (1 << 16) / max(cols, 1)), granule: 1) { r in
                    let o = r.lowerBound * cols
                    RMSNorm.backward(dx: dx.data + o, dweight: nil, dy: dy.data + o, x: xv.data + o, weight: w.data,
                                     rstd: rstd.data + r.lowerBound, rows: r.count, cols: cols)
                }
            }
            if let dw = tape.gradBuffer(weight) {
                RMSNorm.backward(dx: nil, dweight: dw.data, dy: dy.data, x: xv.data, weight: w.data,
                                 rstd: rstd.data, rows: rows, cols: cols)
            }
        }
    }
}
