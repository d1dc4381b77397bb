import Foundation
import SLMCore

/// What the zoo knows about one model: stored as JSON under zoo/manifests/ (docs/zoo.md).
///
/// `digest` identifies the model's content: SHA-256 of the canonical JSON of
/// {architecture, config, tensors, tokenizer}. Name, tag, lineage, metrics and times do
/// not enter it, nor the order of tensors, so the same weights imported twice (or exported
/// and re-imported) have the same digest.
public struct ModelManifest: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var name: String
    public var tag: String
    public var digest: Digest
    public var architecture: String
    public var config: JSONValue
    public var tokenizer: TokenizerEntry?
    public var tensors: [TensorEntry]
    public var parameterCount: Int
    public var metrics: [String: Double]
    public var lineage: [LineageEdge]
    public var producer: Producer?
    public var source: SourceInfo?
    /// Format-specific facts kept from the original file (GGUF metadata, torch extras).
    public var formatMetadata: JSONValue?
    /// ISO 8601, UTC.
    public var created: String

    public struct TensorEntry: Codable, Sendable, Equatable {
        public var name: String
        /// Safetensors spelling: F32, F16, BF16, I64, I32.
        public var dtype: String
        public var shape: [Int]
        public var digest: Digest
        public var bytes: Int
        /// Set when this tensor shares storage with another (e.g. lm_head tied to the embedding).
        public var tiedTo: String?

        enum CodingKeys: String, CodingKey { case name, dtype, shape, digest, bytes, tiedTo = "tied_to" }
    }

    public struct TokenizerEntry: Codable, Sendable, Equatable {
        /// `hf-tokenizer-json` (tokenizer.json bytes) or `gguf-metadata` (the tokenizer.* keys as JSON).
        public var format: String
        public var digest: Digest
        public var bytes: Int
    }

    public struct LineageEdge: Codable, Sendable, Equatable, Hashable {
        public enum Relation: String, Codable, Sendable, CaseIterable {
            case initialization = "init", teacher, data, tokenizer, visionTower = "vision-tower", source
        }
        public var relation: Relation
        /// A model reference (`name:tag@sha256:…`), a dataset name or a URL.
        public var target: String
        public var digest: Digest?

        public init(relation: Relation, target: String, digest: Digest? = nil) {
            self.relation = relation
            self.target = target
            self.digest = digest
        }
    }

    public struct Producer: Codable, Sendable, Equatable {
        public var pipeline: String?
        public var stage: String?
        public var key: String?
        public var params: JSONValue?
        public var seed: Int64?
        public var slmflowVersion: String

        public init(pipeline: String? = nil, stage: String? = nil, key: String? = nil, params: JSONValue? = nil,
                    seed: Int64? = nil, slmflowVersion: String) {
            self.pipeline = pipeline
            self.stage = stage
            self.key = key
            self.params = params
            self.seed = seed
            self.slmflowVersion = slmflowVersion
        }

        enum CodingKeys: String, CodingKey { case pipeline, stage, key, params, seed, slmflowVersion = "slmflow_version" }
    }

    public struct SourceInfo: Codable, Sendable, Equatable {
        /// A URL, catalog name or the imported path.
        public var location: String
        /// safetensors, hf, torch, gguf.
        public var format: String
        /// SHA-256 of the downloaded or imported file, when it was one file.
        public var sha256: Digest?
        public var license: String?
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", name, tag, digest, architecture, config, tokenizer, tensors
        case parameterCount = "parameter_count", metrics, lineage, producer, source
        case formatMetadata = "format_metadata", created
    }

    public var reference: String { "\(name):\(tag)" }

    /// Bytes of all tensors as stored uncompressed (tied tensors counted once).
    public var logicalBytes: Int { tensors.filter { $0.tiedTo == nil }.reduce(0) { $0 + $1.bytes } }

    /// Every blob this manifest needs.
    public var blobDigests: Set<Digest> {
        var digests = Set(tensors.map(\.digest))
        if let tokenizer { digests.insert(tokenizer.digest) }
        return digests
    }

    public static func contentDigest(architecture: String, config: JSONValue, tensors: [TensorEntry], tokenizer: TokenizerEntry?) -> Digest {
        let tensorValues: [JSONValue] = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }.map {
            .object(["name": .string($0.name), "dtype": .string($0.dtype), "shape": .array($0.shape.map { .int(Int64($0)) }),
                     "digest": .string($0.digest.hex)])
        }
        let content: JSONValue = .object([
            "architecture": .string(architecture), "config": config.numbersNormalized, "tensors": .array(tensorValues),
            "tokenizer": tokenizer.map { .string($0.digest.hex) } ?? .null,
        ])
        return SHA256.hash(content.canonicalText)
    }

    /// Checks what a hand-edited or damaged manifest could get wrong.
    func validate(path: String) throws {
        guard schemaVersion <= Self.currentSchemaVersion else {
            throw ZooError.invalidInput(path: path, "schema_version \(schemaVersion) is newer than this slmflow understands (\(Self.currentSchemaVersion))")
        }
        _ = try ModelReference(name: name, tag: tag)
        for tensor in tensors {
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.bytes >= 0 else {
                throw ZooError.invalidInput(path: path, "tensor '\(tensor.name)' has a negative shape or size")
            }
        }
    }
}
