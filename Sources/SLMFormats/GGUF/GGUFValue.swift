/// A metadata value of a GGUF file (the key/value section before the tensor infos).
public indirect enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var arrayValue: [GGUFValue]? { if case .array(let a) = self { a } else { nil } }
    public var intValue: Int? {
        switch self {
        case .uint(let v): Int(exactly: v)
        case .int(let v): Int(exactly: v)
        default: nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .float(let v): v
        case .uint(let v): Double(v)
        case .int(let v): Double(v)
        default: nil
        }
    }
    /// For arrays of strings such as `tokenizer.ggml.tokens` and `tokenizer.ggml.merges`.
    public var stringArray: [String]? { arrayValue?.compactMap(\.stringValue) }
}

/// The ggml element types this reader knows. The simple quantised types come in blocks of
/// 32 elements, the k-quants (what Q4_K_M and Q5_K_M files are made of) in super-blocks of 256.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 8, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .bf16: "BF16"
        }
    }

    /// Elements per block and bytes per block.
    public var block: (elements: Int, bytes: Int) {
        switch self {
        case .f32: (1, 4)
        case .f16, .bf16: (1, 2)
        case .q4_0: (32, 18)
        case .q4_1: (32, 20)
        case .q8_0: (32, 34)
        case .q4_K: (256, 144)
        case .q5_K: (256, 176)
        case .q6_K: (256, 210)
        }
    }
}

public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// ggml order: dimensions[0] is the innermost (contiguous) one.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Relative to the start of the data section.
    public let offset: Int
    public let byteCount: Int
    public var elementCount: Int { dimensions.reduce(1, *) }
    /// Row-major (PyTorch/HF) shape: the dimensions reversed.
    public var shape: [Int] { dimensions.reversed() }
}

public struct GGUFError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "gguf \(path): \(message)" }
}
