/// llama.cpp's k-quant super-blocks of 256 values, decoded as ggml-quants.c's
/// `dequantize_row_q{4,5,6}_K` do (checked against the `gguf` package's reference).
enum KQuants {
    /// Scale and minimum of sub-block j (0..<8) from the 12 packed bytes of Q4_K/Q5_K: six
    /// bits each; sub-blocks 4–7 keep their top two bits in the high bits of bytes 0–7.
    static func scaleAndMin(_ j: Int, _ q: UnsafePointer<UInt8>) -> (scale: Float, min: Float) {
        if j < 4 { return (Float(q[j] & 63), Float(q[j + 4] & 63)) }
        return (Float((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4)), Float((q[j + 4] >> 4) | ((q[j] >> 6) << 4)))
    }

    /// Q4_K (144 bytes): fp16 d, fp16 dmin, 12 bytes of scales, 128 bytes of nibbles. Each of
    /// 8 sub-blocks of 32: d·scale·q − dmin·min; a 64-value run takes the low nibbles of 32
    /// bytes, then their high nibbles.
    static func q4K(_ b: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLDequantizer.half(b), dmin = GGMLDequantizer.half(b + 2)
        let scales = b + 4, qs = b + 16
        for run in 0..<4 {
            let (s1, m1) = scaleAndMin(2 * run, scales), (s2, m2) = scaleAndMin(2 * run + 1, scales)
            let q = qs + 32 * run, out = y + 64 * run
            for l in 0..<32 {
                out[l] = d * s1 * Float(q[l] & 0x0F) - dmin * m1
                out[32 + l] = d * s2 * Float(q[l] >> 4) - dmin * m2
            }
        }
    }

    /// Q5_K (176 bytes): as Q4_K plus 32 bytes of fifth bits (qh) before the nibbles; run r's
    /// low-nibble half takes bit 2r of qh[l], its high-nibble half bit 2r + 1.
    static func q5K(_ b: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLDequantizer.half(b), dmin = GGMLDequantizer.half(b + 2)
        let scales = b + 4, qh = b + 16, qs = b + 48
        for run in 0..<4 {
            let (s1, m1) = scaleAndMin(2 * run, scales), (s2, m2) = scaleAndMin(2 * run + 1, scales)
            let q = qs + 32 * run, out = y + 64 * run
            let bit1 = UInt8(1) << (2 * run), bit2 = UInt8(2) << (2 * run)
            for l in 0..<32 {
                let low = Float((q[l] & 0x0F) + (qh[l] & bit1 != 0 ? 16 : 0))
                let high = Float((q[l] >> 4) + (qh[l] & bit2 != 0 ? 16 : 0))
                out[l] = d * s1 * low - dmin * m1
                out[32 + l] = d * s2 * high - dmin * m2
            }
        }
    }

    /// Q6_K (210 bytes): 128 bytes of low nibbles (ql), 64 of high bit pairs (qh), 16 int8
    /// scales, fp16 d. Each 128-value half: value = d·scale·(6-bit q − 32), with 16-value
    /// sub-blocks each under its own scale.
    static func q6K(_ b: UnsafePointer<UInt8>, _ y: UnsafeMutablePointer<Float>) {
        let d = GGMLDequantizer.half(b + 208)
        for half in 0..<2 {
            let ql = b + 64 * half, qh = b + 128 + 32 * half
            let scale = { (i: Int) in Float(Int8(bitPattern: b[192 + 8 * half + i])) }
            let out = y + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let q1 = Int(ql[l] & 0x0F) | Int(qh[l] & 3) << 4
                let q2 = Int(ql[l + 32] & 0x0F) | Int((qh[l] >> 2) & 3) << 4
                let q3 = Int(ql[l] >> 4) | Int((qh[l] >> 4) & 3) << 4
                let q4 = Int(ql[l + 32] >> 4) | Int((qh[l] >> 6) & 3) << 4
                out[l] = d * scale(s) * Float(q1 - 32)
                out[l + 32] = d * scale(s + 2) * Float(q2 - 32)
                out[l + 64] = d * scale(s + 4) * Float(q3 - 32)
                out[l + 96] = d * scale(s + 6) * Float(q4 - 32)
            }
        }
    }
}
