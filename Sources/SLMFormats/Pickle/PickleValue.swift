/// A value built by `SafeUnpickler`. Lists and dicts are boxes because pickles share and
/// mutate them through the memo (APPEND/SETITEM after BINPUT).
public indirect enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// An allow-listed global, not yet called.
    case global(PickleGlobal)
    /// A storage reference from a persistent id: ('storage', type, key, location, numel).
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)

    public var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .global(let g): "global \(g.qualifiedName)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

public final class PickleList: @unchecked Sendable {
    public var items: [PickleValue] = []
}

/// Keys are kept in insertion order; only string and integer keys are supported.
public final class PickleDict: @unchecked Sendable {
    public private(set) var keys: [String] = []
    public private(set) var values: [String: PickleValue] = [:]

    func set(_ key: String, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    public subscript(_ key: String) -> PickleValue? { values[key] }
}

public enum PickleGlobal: String, Sendable, CaseIterable {
    case orderedDict = "collections.OrderedDict"
    case rebuildTensorV2 = "torch._utils._rebuild_tensor_v2"
    case rebuildParameter = "torch._utils._rebuild_parameter"
    case torchSize = "torch.Size"
    case floatStorage = "torch.FloatStorage"
    case halfStorage = "torch.HalfStorage"
    case bfloat16Storage = "torch.BFloat16Storage"
    case longStorage = "torch.LongStorage"
    case intStorage = "torch.IntStorage"
    // Harmless storage types whose element types the zoo does not store: named so that a
    // checkpoint using them gets a dtype error rather than a security one.
    case doubleStorage = "torch.DoubleStorage"
    case shortStorage = "torch.ShortStorage"
    case charStorage = "torch.CharStorage"
    case byteStorage = "torch.ByteStorage"
    case boolStorage = "torch.BoolStorage"
    case float32 = "torch.float32"
    case float16 = "torch.float16"
    case bfloat16 = "torch.bfloat16"

    public var qualifiedName: String { rawValue }

    /// The element type of a storage class.
    var storageDType: SafetensorsDType? {
        switch self {
        case .floatStorage: .float32
        case .halfStorage: .float16
        case .bfloat16Storage: .bfloat16
        case .longStorage: .int64
        case .intStorage: .int32
        default: nil
        }
    }
}

public struct TorchStorageReference: Sendable, Hashable {
    /// The member name under `data/`.
    public let key: String
    public let dtype: SafetensorsDType
    public let elementCount: Int
}

public struct TorchTensorReference: Sendable, Hashable {
    public let storage: TorchStorageReference
    /// In elements.
    public let offset: Int
    public let shape: [Int]
    public let strides: [Int]
}
