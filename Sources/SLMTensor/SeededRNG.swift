import SLMCore

/// The engine's generator: SLMCore's SplitMix64, whose whole state is one UInt64, so a
/// checkpoint can store it (`Codable`) and resume the exact same stream.
///
/// Explicit by design: there is no global RNG; callers pass an `inout SeededRNG`.
public typealias SeededRNG = SplitMix64

extension SplitMix64 {
    /// Uniform in [0, 1) with 24 random bits (every value exactly representable).
    public mutating func nextUniformFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
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
