/// Exact conversions between 16-bit float encodings and fp32.
///
/// bf16 is the top 16 bits of an IEEE-754 binary32, so widening is a shift. fp16
/// (binary16: 1 sign, 5 exponent bits with bias 15, 10 mantissa bits) widens exactly,
/// including subnormals, ±inf and NaN payloads.
public enum HalfPrecision {
    @inline(__always)
    public static func floatFromBFloat16(bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Round-to-nearest-even narrowing (what PyTorch's `.to(torch.bfloat16)` does);
    /// NaN stays a (quiet) NaN.
    @inline(__always)
    public static func bfloat16Bits(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// `value` rounded to the nearest bf16, returned as fp32.
    @inline(__always)
    public static func roundedToBFloat16(_ value: Float) -> Float {
        floatFromBFloat16(bits: bfloat16Bits(from: value))
    }

    public static func floatFromFloat16(bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // ±0 or subnormal: mantissa · 2⁻²⁴, exact in fp32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // ±inf (mantissa 0) or NaN (payload kept in the top mantissa bits).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 127 - 15) << 23) | (mantissa << 13))
        }
    }

    /// Widens `count` little-endian bf16 values at `source` (any alignment) into `destination`.
    public static func convertBFloat16(
        _ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
            destination[i] = floatFromBFloat16(bits: bits)
        }
    }

    /// Widens `count` little-endian fp16 values at `source` (any alignment) into `destination`.
    public static func convertFloat16(
        _ source: UnsafeRawPointer, to destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
            destination[i] = floatFromFloat16(bits: bits)
        }
    }
}
