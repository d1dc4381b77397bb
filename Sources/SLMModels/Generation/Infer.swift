import SLMTensor

/// Raw-tensor versions of the layers' forward passes, on a range of rows: each op writes rows
/// `r` of its output from rows `r` of its input, so the row-wise part of a layer (norms,
/// projections, MLP, residuals) can run on disjoint row ranges at once (`overRows`).
enum Infer {
    /// Below this many rows (a decode step, a short prompt) each product splits itself over
    /// the workers (`Matmul.gemm`, by columns for few rows) and the rest runs on one thread.
    static let minimumParallelRows = 128

    /// Calls `body` on contiguous row ranges of 0..<rows, one per chunk of `Parallel.forEach`
    /// (the products inside then run whole in each chunk), or once over all rows when there
    /// are few. Splitting the layer rather than each product keeps the norms, GELU and
    /// residual adds between the products on all cores too, with one hand-off per layer part.
    static func overRows(_ rows: Int, _ body: (Range<Int>) -> Void) {
        let chunks = rows >= minimumParallelRows ? min(Parallel.workers, rows) : 1
        if chunks <= 1 {
            body(0..<rows)
            return
        }
        Parallel.forEach(chunks) { _, w in body((rows * w / chunks)..<(rows * (w + 1) / chunks)) }
    }

    /// out[r] = x[r] · Wᵀ + b.
    static func linear(_ out: Tensor, _ x: Tensor, _ l: Linear, rows r: Range<Int>) {
        let n = l.outFeatures, k = l.inFeatures
        let o = out.data + r.lowerBound * n
        if let b = l.bias {
            for i in 0..<r.count { (o + i * n).update(from: b.value.data, count: n) }
        }
        Matmul.gemm(o, x.data + r.lowerBound * k, l.weight.value.data, m: r.count, n: n, k: k, transB: true,
                    beta: l.bias == nil ? 0 : 1)
    }

    static func linear(_ x: Tensor, _ l: Linear) -> Tensor {
        let out = Tensor(uninitialized: [x.rows, l.outFeatures])
        linear(out, x, l, rows: 0..<x.rows)
        return out
    }

    static func rmsNorm(_ out: Tensor, _ x: Tensor, _ n: RMSNormLayer, rows r: Range<Int>) {
        let cols = x.columns
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(r.count, 1)) { rstd in
            RMSNorm.forward(out.data + r.lowerBound * cols, rstd: rstd.baseAddress!, x.data + r.lowerBound * cols,
                            weight: n.weight.value.data, rows: r.count, cols: cols, eps: n.eps)
        }
    }

    static func rmsNorm(_ x: Tensor, _ n: RMSNormLayer) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        rmsNorm(out, x, n, rows: 0..<x.rows)
        return out
    }

    /// x[r] += y[r].
    static func add(_ x: Tensor, _ y: Tensor, rows r: Range<Int>) {
        let cols = x.columns
        let p = x.data + r.lowerBound * cols
        Elementwise.add(p, p, y.data + r.lowerBound * cols, count: r.count * cols)
    }

    /// q, k, v [r] of `buffers` = projections of norm(x[r]).
    static func projectQKV(_ x: Tensor, _ norm: RMSNormLayer, _ attn: AttentionLayer, _ buffers: InferenceBuffers,
                           rows r: Range<Int>) {
        rmsNorm(buffers.normed, x, norm, rows: r)
        linear(buffers.q, buffers.normed, attn.q, rows: r)
        linear(buffers.k, buffers.normed, attn.k, rows: r)
        linear(buffers.v, buffers.normed, attn.v, rows: r)
    }

    /// x[r] += mlp(norm(x[r])), with `buffers` holding the intermediates of these rows.
    static func residualMLP(_ x: Tensor, _ norm: RMSNormLayer, _ m: InferenceMLP, _ buffers: InferenceBuffers,
                            rows r: Range<Int>) {
        let h = buffers.normed, out = buffers.projected, hidden = buffers.hidden
        rmsNorm(h, x, norm, rows: r)
        let width = hidden.columns
        let hr = hidden.data + r.lowerBound * width
        switch m {
        case .gelu(let fc1, let fc2):
            linear(hidden, h, fc1, rows: r)
            Activations.geluForward(hr, hr, count: r.count * width)
            linear(out, hidden, fc2, rows: r)
        case .swiglu(let gate, let up, let down):
            let u = buffers.up!
            linear(hidden, h, gate, rows: r)
            linear(u, h, up, rows: r)
            Activations.swigluForward(hr, gate: hr, up: u.data + r.lowerBound * width, count: r.count * width)
            linear(out, hidden, down, rows: r)
        }
        add(x, out, rows: r)
    }

    /// x[r] += a[r] · W_outᵀ + b.
    static func residualLinear(_ x: Tensor, _ a: Tensor, _ l: Linear, _ buffers: InferenceBuffers, rows r: Range<Int>) {
        linear(buffers.projected, a, l, rows: r)
        add(x, buffers.projected, rows: r)
    }

    /// out[i] = x[rows[i]], [rows.count, x.columns].
    static func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor {
        let width = x.columns
        let out = Tensor(uninitialized: [rows.count, width])
        for (i, r) in rows.enumerated() { (out.data + i * width).update(from: x.data + r * width, count: width) }
        return out
    }

    /// Embedding rows for ids (validated by the caller).
    static func embed(_ ids: [Int32], _ table: Parameter) -> Tensor {
        let dim = table.shape[1]
        let out = Tensor(uninitialized: [ids.count, dim])
        for (i, id) in ids.enumerated() { (out.data + i * dim).update(from: table.value.data + Int(id) * dim, count: dim) }
        return out
    }
}

/// Intermediates of one pass over `rows` rows, allocated once and reused by every layer.
struct InferenceBuffers {
    /// Normed residual, [rows, width].
    let normed: Tensor
    /// Output of a projection back to the residual width, [rows, width].
    let projected: Tensor
    /// q [rows, H·hd], k and v [rows, G·hd], attention output [rows, H·hd].
    let q: Tensor, k: Tensor, v: Tensor, attended: Tensor
    /// MLP hidden [rows, mlp width] (and the up projection of a SwiGLU MLP).
    let hidden: Tensor
    let up: Tensor?

    init(rows: Int, width: Int, qWidth: Int, kvWidth: Int, hiddenWidth: Int, gated: Bool) {
        normed = Tensor(uninitialized: [rows, width])
        projected = Tensor(uninitialized: [rows, width])
        q = Tensor(uninitialized: [rows, qWidth])
        k = Tensor(uninitialized: [rows, kvWidth])
        v = Tensor(uninitialized: [rows, kvWidth])
        attended = Tensor(uninitialized: [rows, qWidth])
        hidden = Tensor(uninitialized: [rows, hiddenWidth])
        up = gated ? Tensor(uninitialized: [rows, hiddenWidth]) : nil
    }

    /// Sized for `mlp`'s hidden layer.
    init(rows: Int, width: Int, qWidth: Int, kvWidth: Int, mlp: InferenceMLP) {
        switch mlp {
        case .gelu(let fc1, _):
            self.init(rows: rows, width: width, qWidth: qWidth, kvWidth: kvWidth, hiddenWidth: fc1.outFeatures, gated: false)
        case .swiglu(let gate, _, _):
            self.init(rows: rows, width: width, qWidth: qWidth, kvWidth: kvWidth, hiddenWidth: gate.outFeatures, gated: true)
        }
    }
}
