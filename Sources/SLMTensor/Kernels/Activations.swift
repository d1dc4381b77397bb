/// Pointwise activations over `count` floats. Forward outputs may alias inputs;
/// backwards accumulate (+=) into the input gradients.
///
/// tanh-GELU (Mu's MLP): gelu(u) = ½u(1 + tanh(z)), z = √(2/π)(u + 0.044715u³).
/// Using ½(1 + tanh z) = σ(2z) it becomes gelu(u) = u · σ(2z), so one `vexp` per lane:
///   gelu'(u) = s + u · s(1 − s) · 2 · dz/du,   s = σ(2z),  dz/du = √(2/π)(1 + 3·0.044715u²)
/// SwiGLU: out = silu(gate) ⊙ up, silu(x) = x σ(x), silu'(x) = σ(x)(1 + x(1 − σ(x))).
public enum Activations {
    static let geluC: Float = 0.797_884_560_802_865_4  // √(2/π)
    static let geluA: Float = 0.044_715

    @_transparent
    static func gelu8(_ u: Vec8) -> Vec8 {
        u * vsigmoid(2 * geluC * (u + geluA * u * u * u))
    }

    @_transparent
    static func geluDerivative8(_ u: Vec8) -> Vec8 {
        let u2 = u * u
        let s = vsigmoid(2 * geluC * (u + geluA * u2 * u))
        return s + u * s * (1 - s) * 2 * geluC * (1 + 3 * geluA * u2)
    }

    public static func geluForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(gelu8(load8(x + i)), out + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(gelu8(loadPartial(x + i, n)), out + i, n) }
    }

    public static func geluBackward(
        dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int
    ) {
        var i = 0
        while i + 8 <= count {
            store8(load8(dx + i) + load8(dy + i) * geluDerivative8(load8(x + i)), dx + i)
            i += 8
        }
        let n = count - i
        if n > 0 {
            let v = loadPartial(dx + i, n) + loadPartial(dy + i, n) * geluDerivative8(loadPartial(x + i, n))
            storePartial(v, dx + i, n)
        }
    }

    public static func siluForward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = load8(x + i)
            store8(v * vsigmoid(v), out + i)
            i += 8
        }
        let n = count - i
        if n > 0 {
            let v = loadPartial(x + i, n)
            storePartial(v * vsigmoid(v), out + i, n)
        }
    }

    /// out = silu(gate) ⊙ up
    public static func swigluForward(
        _ out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        var i = 0
        while i + 8 <= count {
            let g = load8(gate + i)
            store8(g * vsigmoid(g) * load8(up + i), out + i)
            i += 8
        }
        let n = count - i
        if n > 0 {
            let g = loadPartial(gate + i, n)
            storePartial(g * vsigmoid(g) * loadPartial(up + i, n), out + i, n)
        }
    }

    public static func swigluBackward(
        dgate: UnsafeMutablePointer<Float>?, dup: UnsafeMutablePointer<Float>?,
        dy: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        let tail = count % 8, body = count - tail
        if let d = dgate {
            var i = 0
            while i < body {
                let g = load8(gate + i), s = vsigmoid(g)
                store8(load8(d + i) + load8(dy + i) * load8(up + i) * s * (1 + g * (1 - s)), d + i)
                i += 8
            }
            if tail > 0 {
                let g = loadPartial(gate + body, tail), s = vsigmoid(g)
                let v = loadPartial(d + body, tail) + loadPartial(dy + body, tail) * loadPartial(up + body, tail) * s * (1 + g * (1 - s))
                storePartial(v, d + body, tail)
            }
        }
        if let d = dup {
            var i = 0
            while i < body {
                let g = load8(gate + i)
                store8(load8(d + i) + load8(dy + i) * g * vsigmoid(g), d + i)
                i += 8
            }
            if tail > 0 {
                let g = loadPartial(gate + body, tail)
                storePartial(loadPartial(d + body, tail) + loadPartial(dy + body, tail) * g * vsigmoid(g), d + body, tail)
            }
        }
    }

    public static func geluReference<T: ReferenceScalar>(_ x: [T]) -> [T] {
        let c = (2 / T.pi).squareRoot()
        return x.map { u in u / 2 * (1 + (c * (u + T(0.044715) * u * u * u)).hyperbolicTangent) }
    }

    public static func siluReference<T: ReferenceScalar>(_ x: [T]) -> [T] {
        x.map { $0 / (1 + (-$0).exponential) }
    }

    public static func swigluReference<T: ReferenceScalar>(gate: [T], up: [T]) -> [T] {
        zip(siluReference(gate), up).map { $0 * $1 }
    }
}
