/// RMSNorm over rows (Mu's `MuRMSNorm`, eps 1e-6):
///   r_i = 1 / sqrt(mean_j x_ij² + eps),   y_ij = w_j · x_ij · r_i
/// Shapes: x, y [rows, cols]; w [cols]; rstd [rows] (saved for backward).
public enum RMSNorm {
    public static func forward(
        _ out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, cols: Int, eps: Float
    ) {
        let tail = cols % 8, body = cols - tail
        for row in 0..<rows {
            let xr = x + row * cols
            let yr = out + row * cols
            var acc = Vec8()
            var j = 0
            while j < body {
                let v = load8(xr + j)
                acc += v * v
                j += 8
            }
            if tail > 0 {
                let v = loadPartial(xr + body, tail)
                acc += v * v
            }
            let r = 1 / (acc.sum() / Float(cols) + eps).squareRoot()
            rstd[row] = r
            j = 0
            while j < body {
                store8(load8(xr + j) * r * load8(weight + j), yr + j)
                j += 8
            }
            if tail > 0 { storePartial(loadPartial(xr + body, tail) * r * loadPartial(weight + body, tail), yr + body, tail) }
        }
    }

    /// Accumulates (+=) into dx [rows, cols] and dweight [cols]. With g = w ⊙ dy:
    ///   dx = r · g − x · r³ / cols · Σ_j g_j x_j,   dw += Σ_rows dy ⊙ x · r
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
        dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        rstd: UnsafePointer<Float>, rows: Int, cols: Int
    ) {
        let tail = cols % 8, body = cols - tail
        for row in 0..<rows {
            let xr = x + row * cols
            let dyr = dy + row * cols
            let r = rstd[row]
            if let dx {
                var dotAcc = Vec8()
                var j = 0
                while j < body {
                    dotAcc += load8(weight + j) * load8(dyr + j) * load8(xr + j)
                    j += 8
                }
                if tail > 0 {
                    dotAcc += loadPartial(weight + body, tail) * loadPartial(dyr + body, tail) * loadPartial(xr + body, tail)
                }
                let c = dotAcc.sum() * r * r * r / Float(cols)
                let dxr = dx + row * cols
                j = 0
                while j < body {
                    store8(load8(dxr + j) + r * load8(weight + j) * load8(dyr + j) - c * load8(xr + j), dxr + j)
                    j += 8
                }
                if tail > 0 {
                    let g = loadPartial(weight + body, tail) * loadPartial(dyr + body, tail)
                    storePartial(loadPartial(dxr + body, tail) + r * g - c * loadPartial(xr + body, tail), dxr + body, tail)
                }
            }
            if let dweight {
                var j = 0
                while j < body {
                    store8(load8(dweight + j) + load8(dyr + j) * load8(xr + j) * r, dweight + j)
                    j += 8
                }
                if tail > 0 {
                    let v = loadPartial(dweight + body, tail) + loadPartial(dyr + body, tail) * loadPartial(xr + body, tail) * r
                    storePartial(v, dweight + body, tail)
                }
            }
        }
    }

    public static func forwardReference<T: ReferenceScalar>(
        _ x: [T], weight: [T], rows: Int, cols: Int, eps: T
    ) -> [T] {
        var out = [T](repeating: 0, count: rows * cols)
        for i in 0..<rows {
            var ms: T = 0
            for j in 0..<cols { ms += x[i * cols + j] * x[i * cols + j] }
            let r = 1 / (ms / T(cols) + eps).squareRoot()
            for j in 0..<cols { out[i * cols + j] = weight[j] * x[i * cols + j] * r }
        }
        return out
    }
}
