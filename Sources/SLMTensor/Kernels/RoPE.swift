/// Rotary position embedding, half-split ("rotate-half") form as in Mu (seed-spec §1.4.4).
///
/// For a head vector q = [q₁ | q₂] (halves of width d_h/2) at position p:
///   rot(q) = q ⊙ cos + [−q₂ | q₁] ⊙ sin,   angles φ_k = p · θ^(−2k/d_h), cos/sin of [φ, φ].
/// i.e. out₁ = q₁ cos φ − q₂ sin φ, out₂ = q₂ cos φ + q₁ sin φ. The backward is the
/// rotation by −φ: dq₁ = dy₁ cos φ + dy₂ sin φ, dq₂ = dy₂ cos φ − dy₁ sin φ.
public struct RoPETables: Sendable {
    public let positions: [Int]
    public let headDim: Int
    /// [positions.count, headDim/2]
    public let cos: [Float]
    public let sin: [Float]

    /// - Parameter roundToBFloat16: round cos/sin to bf16 as the reference does before use.
    public init(positions: [Int], headDim: Int, theta: Float = 10_000, roundToBFloat16: Bool = false) {
        precondition(headDim > 0 && headDim % 2 == 0, "RoPE head width must be even, got \(headDim)")
        // inv_freq_k = 1 / θ^(2k/d_h) in fp32, angle = p · inv_freq in fp32 (as PyTorch).
        let invFreq = (0..<headDim / 2).map { k in 1 / theta.power(Float(2 * k) / Float(headDim)) }
        self.init(positions: positions, inverseFrequencies: invFreq, roundToBFloat16: roundToBFloat16)
    }

    /// Tables from explicit inverse frequencies [headDim/2] (scaled RoPE variants: Llama 3,
    /// linear, Phi-3 "longrope"); cos and sin are multiplied by `magnitude` (longrope's
    /// attention factor, 1 otherwise).
    public init(positions: [Int], inverseFrequencies invFreq: [Float], magnitude: Float = 1,
                roundToBFloat16: Bool = false) {
        let half = invFreq.count
        precondition(half > 0, "RoPE needs at least one frequency")
        self.positions = positions
        self.headDim = 2 * half
        var c = [Float](repeating: 0, count: positions.count * half)
        var s = c
        for (i, p) in positions.enumerated() {
            for k in 0..<half {
                let angle = Float(p) * invFreq[k]
                var cv = angle.cosine * magnitude, sv = angle.sine * magnitude
                if roundToBFloat16 {
                    cv = HalfPrecision.roundedToBFloat16(cv)
                    sv = HalfPrecision.roundedToBFloat16(sv)
                }
                c[i * half + k] = cv
                s[i * half + k] = sv
            }
        }
        self.cos = c
        self.sin = s
    }

    /// Encoder (bidirectional) positions, centred on the padded sequence: p_i = i − ⌊(L−1)/2⌋.
    /// L = 4 gives −1…2; L = 49 gives −24…24.
    public static func centredPositions(length: Int) -> [Int] {
        let offset = (length - 1) >= 0 ? (length - 1) / 2 : 0
        return (0..<length).map { $0 - offset }
    }

    /// Decoder (causal) positions 0…L−1.
    public static func causalPositions(length: Int) -> [Int] { Array(0..<length) }
}

public enum RoPE {
    /// x, out: [batch · length, heads · headDim], row r at position index r mod length
    /// (length = tables.positions.count). `out` may alias `x`. With `firstRow`, x and out
    /// start at that row of such a tensor (a slice of rows rotated on its own).
    public static func forward(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, tables: RoPETables, rows: Int, heads: Int,
        firstRow: Int = 0
    ) {
        rotate(out, x, tables: tables, rows: rows, heads: heads, sign: 1, accumulate: false, firstRow: firstRow)
    }

    /// dx += rotation of dy by −φ.
    public static func backward(
        dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, tables: RoPETables, rows: Int, heads: Int
    ) {
        rotate(dx, dy, tables: tables, rows: rows, heads: heads, sign: -1, accumulate: true)
    }

    private static func rotate(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, tables: RoPETables,
        rows: Int, heads: Int, sign: Float, accumulate: Bool, firstRow: Int = 0
    ) {
        let length = tables.positions.count
        precondition(length > 0 && ((firstRow + rows) % length == 0 || firstRow + rows <= length),
                     "rows \(firstRow)..<\(firstRow + rows) not a multiple of length \(length)")
        let headDim = tables.headDim
        let half = headDim / 2
        let width = heads * headDim
        tables.cos.withUnsafeBufferPointer { cosBuf in
            tables.sin.withUnsafeBufferPointer { sinBuf in
                guard let cosTable = cosBuf.baseAddress, let sinTable = sinBuf.baseAddress else { return }
                for r in 0..<rows {
                    let cr = cosTable + ((firstRow + r) % length) * half
                    let sr = sinTable + ((firstRow + r) % length) * half
                    for h in 0..<heads {
                        let xh = x + r * width + h * headDim
                        let oh = out + r * width + h * headDim
                        var k = 0
                        while k + 8 <= half {
                            let c = load8(cr + k), s = sign * load8(sr + k)
                            let x1 = load8(xh + k), x2 = load8(xh + half + k)
                            let o1 = accumulate ? load8(oh + k) : Vec8(), o2 = accumulate ? load8(oh + half + k) : Vec8()
                            store8(o1 + x1 * c - x2 * s, oh + k)
                            store8(o2 + x2 * c + x1 * s, oh + half + k)
                            k += 8
                        }
                        while k < half {
                            let c = cr[k], s = sign * sr[k]
                            let x1 = xh[k], x2 = xh[half + k]
                            let o1 = accumulate ? oh[k] : 0, o2 = accumulate ? oh[half + k] : 0
                            oh[k] = o1 + x1 * c - x2 * s
                            oh[half + k] = o2 + x2 * c + x1 * s
                            k += 1
                        }
                    }
                }
            }
        }
    }

    /// Reference twin, angles computed in T from the positions (no table rounding).
    public static func forwardReference<T: ReferenceScalar>(
        _ x: [T], positions: [Int], headDim: Int, heads: Int, theta: T = 10_000
    ) -> [T] {
        let half = headDim / 2
        let length = positions.count
        let width = heads * headDim
        let rows = x.count / width
        var out = x
        for r in 0..<rows {
            let p = T(positions[r % length])
            for h in 0..<heads {
                let base = r * width + h * headDim
                for k in 0..<half {
                    let angle = p / theta.power(T(2 * k) / T(headDim))
                    let x1 = x[base + k], x2 = x[base + half + k]
                    out[base + k] = x1 * angle.cosine - x2 * angle.sine
                    out[base + half + k] = x2 * angle.cosine + x1 * angle.sine
                }
            }
        }
        return out
    }
}
