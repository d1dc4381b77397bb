/// Rotary position embedding on the tape.
extension Tape {
    /// Rotary embedding of x [batch · length, heads · headDim]; row r uses tables.positions[r mod length].
    public func rope(_ x: Variable, tables: RoPETables, heads: Int) -> Variable {
        let xv = value(x)
        precondition(xv.columns == heads * tables.headDim, "RoPE: width \(xv.columns) ≠ \(heads)×\(tables.headDim)")
        let out = Tensor(uninitialized: xv.shape)
        RoPE.forward(out.data, xv.data, tables: tables, rows: xv.rows, heads: heads)
        return record(out, inputs: [x]) { tape, dy in
            if let dx = tape.gradBuffer(x) {
                RoPE.backward(dx: dx.data, dy: dy.data, tables: tables, rows: dy.rows, heads: heads)
            }
        }
    }
}
