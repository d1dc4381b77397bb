import Foundation
import SLMCore

/// One output of a finished stage.
public struct OutputRecord: Codable, Hashable, Sendable {
    public var name: String
    public var path: String
    public var artifact: Artifact
}

/// What a stage key produced: enough to restore its outputs without running it.
public struct RunRecord: Codable, Sendable {
    public var format = 1
    public var key: Digest
    public var kind: String
    public var kindVersion: Int
    /// The stage that made it, for people: the key does not include stage names.
    public var stage: String
    public var pipeline: String
    public var outputs: [OutputRecord]
    public var log: Digest?
    public var seconds: Double
    public var peakMemoryKB: Int?
    public var metrics: [String: JSONValue]
    public var createdAt: Date
}

/// key → run record, one small JSON file per key, written atomically.
public struct RunCache: Sendable {
    public let root: String

    func path(_ key: Digest) -> String { root + "/" + key.hex.prefix(2) + "/" + key.hex + ".json" }

    public func record(for key: Digest) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return try? JSONFiles.decode(RunRecord.self, from: data, path: path(key))
    }

    public func contains(_ key: Digest) -> Bool { FileManager.default.fileExists(atPath: path(key)) }

    public func save(_ record: RunRecord) throws {
        let target = path(record.key)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONFiles.encode(record), to: target)
    }

    public func remove(_ key: Digest) { try? FileManager.default.removeItem(atPath: path(key)) }

    public func allKeys() -> [Digest] {
        let manager = FileManager.default
        guard let folders = try? manager.contentsOfDirectory(atPath: root) else { return [] }
        var keys: [Digest] = []
        for folder in folders where folder.count == 2 {
            for name in (try? manager.contentsOfDirectory(atPath: root + "/" + folder)) ?? [] where name.hasSuffix(".json") {
                if let key = Digest(hex: String(name.dropLast(5))) { keys.append(key) }
            }
        }
        return keys.sorted()
    }
}
