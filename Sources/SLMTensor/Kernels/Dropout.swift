/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p).
/// The mask is drawn from the caller's seeded RNG, one draw per element in row-major
/// order, so a run is reproducible from the RNG state alone.
public enum Dropout {
    /// Writes mask values 0 or 1/(1 − p).
    public static func makeMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Float, rng: inout SeededRNG) {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        let keep = 1 / (1 - p)
        for i in 0..<count { mask[i] = rng.nextUniformFloat() < p ? 0 : keep }
    }

    public static func maskReference(count: Int, p: Float, rng: inout SeededRNG) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { buf in
            if let base = buf.baseAddress { makeMask(base, count: count, p: p, rng: &rng) }
        }
        return out
    }
}
