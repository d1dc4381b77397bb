/// Softmax and log-softmax over the last axis of [rows, cols], SIMD8 with `vexp`.
/// `out` may alias `x`.
public enum Softmax {
    /// out_ij = exp(x_ij − m_i) / Σ_j exp(x_ij − m_i),  m_i = max_j x_ij.
    /// If given, logSumExp[i] = m_i + log Σ_j exp(x_ij − m_i) (so log out_ij = x_ij − logSumExp[i]).
    public static func forward(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int,
        logSumExp: UnsafeMutablePointer<Float>? = nil
    ) {
        let tail = cols % 8, body = cols - tail
        for row in 0..<rows {
            let yr = out + row * cols
            let (m, total) = exponentiateRow(yr, x + row * cols, cols: cols)
            logSumExp?[row] = m + total.logarithm
            let inv = 1 / total
            var j = 0
            while j < body {
                store8(load8(yr + j) * inv, yr + j)
                j += 8
            }
            if tail > 0 { storePartial(loadPartial(yr + body, tail) * inv, yr + body, tail) }
        }
    }

    /// In place, the softmax without its division: x_ij ← exp(x_ij − m_i), sums[i] = Σ_j x_ij.
    /// For callers that divide a smaller product instead (attention divides P·V's hd columns,
    /// not P's Lk).
    public static func exponentiate(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                                    sums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows { sums[row] = exponentiateRow(x + row * cols, x + row * cols, cols: cols).sum }
    }

    /// out_j = exp(x_j − m), m = max_j x_j; returns m and Σ_j out_j. `out` may alias `x`.
    @inline(__always)
    private static func exponentiateRow(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, cols: Int)
        -> (max: Float, sum: Float) {
        let tail = cols % 8, body = cols - tail
        let m = rowMax(x, cols: cols)
        var acc = Vec8()
        var j = 0
        while j < body {
            let e = vexp(load8(x + j) - m)
            acc += e
            store8(e, out + j)
            j += 8
        }
        if tail > 0 {
            let e = zeroingLanes(vexp(loadPartial(x + body, tail) - m), from: tail)
            acc += e
            storePartial(e, out + body, tail)
        }
        return (m, acc.sum())
    }

    /// out_ij = x_ij − m_i − log Σ_j exp(x_ij − m_i)
    public static func logForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int) {
        let tail = cols % 8, body = cols - tail
        for row in 0..<rows {
            let xr = x + row * cols
            let yr = out + row * cols
            let m = rowMax(xr, cols: cols)
            var acc = Vec8()
            var j = 0
            while j < body {
                acc += vexp(load8(xr + j) - m)
                j += 8
            }
            if tail > 0 { acc += zeroingLanes(vexp(loadPartial(xr + body, tail) - m), from: tail) }
            let shift = m + acc.sum().logarithm
            j = 0
            while j < body {
                store8(load8(xr + j) - shift, yr + j)
                j += 8
            }
            if tail > 0 { storePartial(loadPartial(xr + body, tail) - shift, yr + body, tail) }
        }
    }

    /// Backward of log-softmax, accumulating: dx_ij += dy_ij − exp(y_ij) · Σ_k dy_ik
    public static func logBackward(
        dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, y: UnsafePointer<Float>, rows: Int, cols: Int
    ) {
        let tail = cols % 8, body = cols - tail
        for row in 0..<rows {
            let dyr = dy + row * cols
            let yr = y + row * cols
            let dxr = dx + row * cols
            var acc = Vec8()
            var j = 0
            while j < body {
                acc += load8(dyr + j)
                j += 8
            }
            if tail > 0 { acc += loadPartial(dyr + body, tail) }
            let total = acc.sum()
            j = 0
            while j < body {
                store8(load8(dxr + j) + load8(dyr + j) - vexp(load8(yr + j)) * total, dxr + j)
                j += 8
            }
            if tail > 0 {
                let v = loadPartial(dxr + body, tail) + loadPartial(dyr + body, tail) - vexp(loadPartial(yr + body, tail)) * total
                storePartial(v, dxr + body, tail)
            }
        }
    }

    @inline(__always)
    static func rowMax(_ xr: UnsafePointer<Float>, cols: Int) -> Float {
        var m = Vec8(repeating: -.infinity)
        var j = 0
        while j + 8 <= cols {
            let v = load8(xr + j)
            m.replace(with: v, where: v .> m)
            j += 8
        }
        var best = m.max()
        while j < cols {
            if xr[j] > best { best = xr[j] }
            j += 1
        }
        return best
    }

    public static func forwardReference<T: ReferenceScalar>(_ x: [T], rows: Int, cols: Int) -> [T] {
        var out = [T](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            let row = x[(i * cols)..<((i + 1) * cols)]
            let m = row.max() ?? 0
            var s: T = 0
            for v in row { s += (v - m).exponential }
            for j in 0..<cols { out[i * cols + j] = (x[i * cols + j] - m).exponential / s }
        }
        return out
    }

    public static func logForwardReference<T: ReferenceScalar>(_ x: [T], rows: Int, cols: Int) -> [T] {
        var out = [T](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            let row = x[(i * cols)..<((i + 1) * cols)]
            let m = row.max() ?? 0
            var s: T = 0
            for v in row { s += (v - m).exponential }
            let shift = m + s.logarithm
            for j in 0..<cols { out[i * cols + j] = x[i * cols + j] - shift }
        }
        return out
    }
}
