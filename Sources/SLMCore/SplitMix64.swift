/// SplitMix64: a small, fast, well-mixed generator with a documented output sequence, whose
/// whole state is one UInt64 — so a checkpoint can store it (`Codable`) and resume the exact
/// same stream. The one seeded generator of the project: data splits and synthetic data
/// (SLMData) and the engine (SLMTensor's `SeededRNG`) draw from it.
public struct SplitMix64: RandomNumberGenerator, Codable, Sendable, Hashable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0), by rejection so there is no modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit
        while true {
            let value = next()
            if value >= threshold { return Int(value % limit) }
        }
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}
