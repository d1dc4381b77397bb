/// Elementwise arithmetic over `count` contiguous floats (SIMD8 body, one partial step).
/// Outputs may alias inputs.
public enum Elementwise {
    /// out = a + b
    public static func add(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                           _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(load8(a + i) + load8(b + i), out + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(loadPartial(a + i, n) + loadPartial(b + i, n), out + i, n) }
    }

    /// out = a ⊙ b
    public static func mul(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                           _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(load8(a + i) * load8(b + i), out + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(loadPartial(a + i, n) * loadPartial(b + i, n), out + i, n) }
    }

    /// y += a ⊙ b
    public static func mulAdd(_ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>,
                              _ b: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(load8(y + i) + load8(a + i) * load8(b + i), y + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(loadPartial(y + i, n) + loadPartial(a + i, n) * loadPartial(b + i, n), y + i, n) }
    }

    /// out = s · x
    public static func scale(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                             by s: Float, count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(load8(x + i) * s, out + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(loadPartial(x + i, n) * s, out + i, n) }
    }

    /// y += alpha · x
    public static func axpy(_ y: UnsafeMutablePointer<Float>, alpha: Float, _ x: UnsafePointer<Float>,
                            count: Int) {
        var i = 0
        while i + 8 <= count {
            store8(load8(y + i) + alpha * load8(x + i), y + i)
            i += 8
        }
        let n = count - i
        if n > 0 { storePartial(loadPartial(y + i, n) + alpha * loadPartial(x + i, n), y + i, n) }
    }

    /// Sum of `count` floats, accumulated in Double.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count { total += Double(x[i]) }
        return total
    }
}
