import Testing
import SLMTensor

@Suite struct HalfPrecisionTests {
    @Test func float16WideningIsExactForAllBitPatterns() {
        for bits in 0...UInt16.max {
            let ours = HalfPrecision.floatFromFloat16(bits: bits)
            let expected = Float(Float16(bitPattern: bits))
            if expected.isNaN {
                #expect(ours.isNaN, "bits \(bits)")
            } else if ours.bitPattern != expected.bitPattern {
                Issue.record("fp16 bits \(bits): got \(ours), expected \(expected)")
                return
            }
        }
        #expect(HalfPrecision.floatFromFloat16(bits: 0x0001) == 0x1p-24)  // smallest subnormal
        #expect(HalfPrecision.floatFromFloat16(bits: 0x7C00) == .infinity)
        #expect(HalfPrecision.floatFromFloat16(bits: 0xFC00) == -.infinity)
        #expect(HalfPrecision.floatFromFloat16(bits: 0x3C00) == 1)
        #expect(HalfPrecision.floatFromFloat16(bits: 0x8000).sign == .minus)
    }

    @Test func bfloat16IsTheTopHalfOfFloat32() {
        for bits in stride(from: 0, through: Int(UInt16.max), by: 1) {
            let b = UInt16(bits)
            let f = HalfPrecision.floatFromBFloat16(bits: b)
            #expect(f.bitPattern == UInt32(b) << 16)
            if !f.isNaN { #expect(HalfPrecision.bfloat16Bits(from: f) == b) }
        }
        #expect(HalfPrecision.floatFromBFloat16(bits: 0x3F80) == 1)
        #expect(HalfPrecision.floatFromBFloat16(bits: 0xC000) == -2)
    }

    @Test func bfloat16NarrowingRoundsToNearestEven() {
        // 1 + 2⁻⁸ is exactly halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
        #expect(HalfPrecision.roundedToBFloat16(1 + 0x1p-8) == 1)
        // 1 + 3·2⁻⁸ is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up.
        #expect(HalfPrecision.roundedToBFloat16(1 + 3 * 0x1p-8) == 1.015625)
        #expect(HalfPrecision.roundedToBFloat16(1 + 0x1p-8 + 0x1p-20) == 1.0078125)
        #expect(HalfPrecision.roundedToBFloat16(.nan).isNaN)
        #expect(HalfPrecision.roundedToBFloat16(.infinity) == .infinity)
    }

    @Test func bulkConversionReadsUnalignedLittleEndian() {
        // One padding byte puts the values at an odd address.
        let bytes: [UInt8] = [0xAA, 0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3C, 0x00, 0x7C]
        let out = Tensor(zeros: [2])
        bytes.withUnsafeBytes { raw in
            HalfPrecision.convertBFloat16(raw.baseAddress! + 1, to: out.data, count: 2)
        }
        #expect(out.array == [1, -2])
        bytes.withUnsafeBytes { raw in
            HalfPrecision.convertFloat16(raw.baseAddress! + 5, to: out.data, count: 2)
        }
        #expect(out.array == [1, .infinity])
    }
}
