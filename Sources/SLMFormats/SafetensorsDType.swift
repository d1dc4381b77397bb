/// The element types this reader accepts. Floats convert to fp32; integers are readable
/// only as raw bytes (token-id arrays and the like).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int64 = "I64"
    case int32 = "I32"

    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int64: return 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16: return true
        case .int64, .int32: return false
        }
    }
}

/// One tensor's header entry. `byteRange` is relative to the start of the data section.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let elementCount: Int
    public let byteRange: Range<Int>
}
