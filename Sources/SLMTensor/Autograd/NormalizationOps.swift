/// RMSNorm on the tape.
extension Tape {
    /// RMSNorm over the last axis with a learned weight [cols]; eps 1e-6 as in Mu.
    public func rmsNorm(_ x: Variable, weight: Variable, eps: Float = 1e-6) -> Variable {
        let xv = value(x), w = value(weight)
        let rows = xv.rows, cols = xv.columns
        precondition(w.count == cols, "RMSNorm weight has \(w.count) entries, input width is \(cols)")
        let out = Tensor(uninitialized: xv.shape)
        let rstd = Tensor(uninitialized: [rows])
        RMSNorm.forward(out.data, rstd: rstd.data, xv.data, weight: w.data, rows: rows, cols: cols, eps: eps)
        return record(out, inputs: [x, weight]) { tape, dy in
            RMSNorm.backward(dx: tape.gradBuffer(x)?.data, dweight: tape.gradBuffer(weight)?.data,
                             dy: dy.data, x: xv.data, weight: w.data, rstd: rstd.data, rows: rows, cols: cols)
        }
    }
}
