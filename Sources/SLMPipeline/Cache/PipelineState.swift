import Foundation
import SLMCore

/// The machine-written state file beside a pipeline (`quickstart.lock` beside
/// `quickstart.yaml`): per stage, the key and basis of its last successful run, its
/// output digests, wall time, peak memory and metrics, and its last failure if any.
/// Rewritten atomically after every stage, so a kill loses at most the stage in flight.
public struct PipelineState: Codable, Sendable {
    public var format = 1
    public var pipeline: String
    public var stages: [String: StageState] = [:]

    public struct StageState: Codable, Sendable {
        public var key: Digest
        public var basis: KeyBasis
        public var outputs: [OutputRecord]
        public var seconds: Double
        public var peakMemoryKB: Int?
        public var metrics: [String: JSONValue]
        public var finishedAt: Date
        public var failure: Failure?
    }

    public struct Failure: Codable, Sendable {
        public var key: Digest
        public var message: String
        public var log: String
        public var at: Date
    }

    public init(pipeline: String) { self.pipeline = pipeline }

    /// `pipelines/quickstart.yaml` → `pipelines/quickstart.lock`.
    public static func path(forPipeline file: String) -> String {
        let url = URL(fileURLWithPath: file)
        return url.deletingPathExtension().path + ".lock"
    }

    public static func load(_ path: String, pipeline: String) throws -> PipelineState {
        guard let data = FileManager.default.contents(atPath: path) else { return PipelineState(pipeline: pipeline) }
        return try JSONFiles.decode(PipelineState.self, from: data, path: path)
    }

    public func save(_ path: String) throws {
        try AtomicFile.write(try JSONFiles.encode(self), to: path)
    }
}
