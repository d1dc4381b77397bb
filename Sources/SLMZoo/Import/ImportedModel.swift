import Foundation
import SLMCore
import SLMFormats

/// One tensor read from a checkpoint: row-major little-endian bytes in `dtype`.
public struct ImportedTensor: Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]
    public var tiedTo: String?

    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8], tiedTo: String? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
        self.tiedTo = tiedTo
    }
}

/// A model read from some format, before it enters the zoo. Tensors are loaded one at a
/// time so a large checkpoint never sits in memory twice.
public struct ImportedModel {
    public var architecture: String
    public var config: JSONValue
    public var tokenizer: (format: String, bytes: [UInt8])?
    public var tensorNames: [String]
    public var loadTensor: (String) throws -> ImportedTensor
    public var source: ModelManifest.SourceInfo
    public var formatMetadata: JSONValue?
    /// A name to use when the user gives none (from the file or folder name).
    public var suggestedName: String
}

extension ImportedModel {
    /// `loadTensor`, with its byte count checked against its shape and dtype.
    func checkedTensor(_ name: String) throws -> ImportedTensor {
        let tensor = try loadTensor(name)
        let expected = tensor.shape.reduce(1, *) * tensor.dtype.byteSize
        guard tensor.bytes.count == expected else {
            throw ZooError.invalidInput(path: source.location, "tensor '\(name)' of shape \(tensor.shape) "
                                        + "\(tensor.dtype.rawValue) has \(tensor.bytes.count) bytes, expected \(expected)")
        }
        return tensor
    }
}

/// What a caller adds to a model besides its content.
public struct ModelAnnotations: Sendable {
    public var lineage: [ModelManifest.LineageEdge] = []
    public var metrics: [String: Double] = [:]
    public var producer: ModelManifest.Producer?
    public init() {}
}

extension ZooStore {
    /// Stores the model's tensors and tokenizer as blobs, then writes its manifest.
    @discardableResult
    public func add(_ model: ImportedModel, as reference: ModelReference, annotations: ModelAnnotations = ModelAnnotations(),
                    slmflowVersion: String, progress: ((String) -> Void)? = nil) throws -> ModelManifest {
        try locked(.shared) {
            var entries: [ModelManifest.TensorEntry] = []
            var parameters = 0
            for (index, name) in model.tensorNames.enumerated() {
                let tensor = try model.checkedTensor(name)
                let digest = try blobs.store(tensor.bytes, elementWidth: tensor.dtype.byteSize)
                if tensor.tiedTo == nil { parameters += tensor.shape.reduce(1, *) }
                entries.append(.init(name: name, dtype: tensor.dtype.rawValue, shape: tensor.shape, digest: digest,
                                     bytes: tensor.bytes.count, tiedTo: tensor.tiedTo))
                progress?("[\(index + 1)/\(model.tensorNames.count)] \(name)")
            }
            var tokenizer: ModelManifest.TokenizerEntry?
            if let (format, bytes) = model.tokenizer {
                tokenizer = .init(format: format, digest: try blobs.store(bytes, elementWidth: 1), bytes: bytes.count)
            }
            let digest = ModelManifest.contentDigest(architecture: model.architecture, config: model.config, tensors: entries, tokenizer: tokenizer)
            var lineage = annotations.lineage
            if lineage.isEmpty || !lineage.contains(where: { $0.relation == .source }) {
                lineage.append(.init(relation: .source, target: model.source.location, digest: model.source.sha256))
            }
            let manifest = ModelManifest(
                schemaVersion: ModelManifest.currentSchemaVersion, name: reference.name, tag: reference.tag, digest: digest,
                architecture: model.architecture, config: model.config.numbersNormalized, tokenizer: tokenizer, tensors: entries,
                parameterCount: parameters, metrics: annotations.metrics, lineage: lineage,
                producer: annotations.producer ?? .init(slmflowVersion: slmflowVersion),
                source: model.source, formatMetadata: model.formatMetadata.map(\.numbersNormalized),
                created: ISO8601DateFormatter().string(from: Date()))
            try save(manifest)
            return manifest
        }
    }
}
