/// Everything that can go wrong reading or writing a safetensors file. Messages name the
/// file and, where there is one, the tensor, and say what was expected.
public struct SafetensorsError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case io
        case truncated
        case headerTooLarge
        case invalidHeader
        case invalidEntry
        case unsupportedDType
        case sizeMismatch
        case offsetOutOfRange
        case overlappingData
        case missingTensor
        case unsupportedConversion
        case invalidName
    }

    public let kind: Kind
    public let path: String
    public let tensor: String?
    public let message: String

    public init(_ kind: Kind, path: String, tensor: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.tensor = tensor
        self.message = message
    }

    public var description: String {
        let subject = tensor.map { "tensor '\($0)' in \(path)" } ?? path
        return "safetensors \(kind.rawValue): \(subject): \(message)"
    }
}
