/// SplitMix64: a small, fast, deterministic generator whose whole state is one UInt64,
/// so a checkpoint can store it (`Codable`) and resume the exact same stream.
///
/// Explicit by design: there is no global RNG; callers pass an `inout SeededRNG`.
public struct SeededRNG: RandomNumberGenerator, Codable, Sendable, Hashable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable).
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Standard normal via Box–Muller; consumes exactly two draws (no cached spare,
    /// so the state stays one integer).
    public mutating func nextNormal() -> Double {
        let u1 = 1.0 - nextUnitDouble()  // (0, 1], keeps log finite
        let u2 = nextUnitDouble()
        return (-2.0 * u1.logarithm).squareRoot() * (2.0 * Double.pi * u2).cosine
    }

    /// An independent stream derived from this state and `stream` (does not advance self).
    public func derived(stream: UInt64) -> SeededRNG {
        var mixer = SeededRNG(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        return SeededRNG(seed: mixer.next())
    }
}
