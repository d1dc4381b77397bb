import SLMTensor

/// Conversion of ggml tensor data to fp32. Quantised formats hold blocks of 32 values:
/// Q8_0 = fp16 scale d, 32 × int8 q → q·d; Q4_0 = d, 16 bytes of nibbles → (q − 8)·d;
/// Q4_1 = d, fp16 minimum m, 16 bytes of nibbles → q·d + m. In a Q4 block the low nibbles
/// hold values 0–15 and the high nibbles values 16–31. The k-quants (`KQuants`, llama.cpp's
/// ggml-quants.c) hold super-blocks of 256.
public enum GGMLDequantizer {
    public static func floats(_ raw: [UInt8], type: GGMLType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { source in
            guard let base = source.baseAddress else { return }
            out.withUnsafeMutableBufferPointer { destination in
                guard let target = destination.baseAddress else { return }
                switch type {
                case .f32:
                    for i in 0..<count { target[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                case .f16: HalfPrecision.convertFloat16(base, to: target, count: count)
                case .bf16: HalfPrecision.convertBFloat16(base, to: target, count: count)
                case .q8_0:
                    for block in 0..<count / 32 {
                        let b = base + block * 34
                        let d = half(b)
                        for j in 0..<32 { target[block * 32 + j] = Float(Int8(bitPattern: b.load(fromByteOffset: 2 + j, as: UInt8.self))) * d }
                    }
                case .q4_0:
                    for block in 0..<count / 32 {
                        let b = base + block * 18
                        let d = half(b)
                        for j in 0..<16 {
                            let q = b.load(fromByteOffset: 2 + j, as: UInt8.self)
                            target[block * 32 + j] = Float(Int(q & 0x0F) - 8) * d
                            target[block * 32 + j + 16] = Float(Int(q >> 4) - 8) * d
                        }
                    }
                case .q4_1:
                    for block in 0..<count / 32 {
                        let b = base + block * 20
                        let d = half(b), m = half(b + 2)
                        for j in 0..<16 {
                            let q = b.load(fromByteOffset: 4 + j, as: UInt8.self)
                            target[block * 32 + j] = Float(q & 0x0F) * d + m
                            target[block * 32 + j + 16] = Float(q >> 4) * d + m
                        }
                    }
                case .q4_K, .q5_K, .q6_K:
                    let bytes = type.block.bytes
                    for block in 0..<count / 256 {
                        let b = (base + block * bytes).assumingMemoryBound(to: UInt8.self)
                        let y = target + block * 256
                        switch type {
                        case .q4_K: KQuants.q4K(b, y)
                        case .q5_K: KQuants.q5K(b, y)
                        default: KQuants.q6K(b, y)
                        }
                    }
                }
            }
        }
        return out
    }

    static func half(_ pointer: UnsafeRawPointer) -> Float {
        HalfPrecision.floatFromFloat16(bits: UInt16(littleEndian: pointer.loadUnaligned(as: UInt16.self)))
    }

    /// Undoes llama.cpp's convert_hf_to_gguf `permute` of attention Q/K rows: within each
    /// head, GGUF interleaves the two rotary halves (row 2i+j holds HF row j·half + i).
    public static func unpermuteRows(_ values: [Float], rows: Int, columns: Int, heads: Int) -> [Float]? {
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0, values.count == rows * columns else { return nil }
        let headDim = rows / heads, half = headDim / 2
        var out = [Float](repeating: 0, count: values.count)
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let source = (h * headDim + i * 2 + j) * columns
                    let target = (h * headDim + j * half + i) * columns
                    for c in 0..<columns { out[target + c] = values[source + c] }
                }
            }
        }
        return out
    }
}
