/// Ops that move data without arithmetic.
extension Tape {
    /// out[r, :] = x[r, columns]: keeps a contiguous column range of a [rows, cols] tensor.
    /// Mu's KD truncates student and teacher logits to the first V* = min(V_S, V_T) entries
    /// before the log-softmax (seed-spec §5.4); the backward scatters into those columns.
    public func sliceColumns(_ x: Variable, _ columns: Range<Int>) -> Variable {
        let xv = value(x)
        let cols = xv.columns, rows = xv.rows, width = columns.count
        precondition(columns.lowerBound >= 0 && columns.upperBound <= cols,
                     "column range \(columns) outside 0..<\(cols)")
        let out = Tensor(uninitialized: Array(xv.shape.dropLast()) + [width])
        for r in 0..<rows {
            (out.data + r * width).update(from: xv.data + r * cols + columns.lowerBound, count: width)
        }
        return record(out, inputs: [x]) { tape, dy in
            guard let dx = tape.gradBuffer(x) else { return }
            for r in 0..<rows {
                Elementwise.axpy(dx.data + r * cols + columns.lowerBound, alpha: 1, dy.data + r * width, count: width)
            }
        }
    }
}
