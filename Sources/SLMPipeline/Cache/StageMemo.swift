import Foundation
import SLMCore

/// Results a stage kind reuses across runs whose keys differ: a run's key covers all its
/// inputs, so adding one model to an evaluate stage's list reruns the stage, but the other
/// models' predictions depend only on their own weights, the examples and the decoding
/// settings, and are looked up here by a digest of exactly those.
///
///     cache/memo/<kind>/<ab>/<sha256>.json
///
/// Entries are written atomically and never change; an unreadable one is a miss. They are a
/// cache of work, not of outputs: `cache gc --memo` removes them all, which costs only
/// recomputing.
public struct StageMemo: Sendable {
    public let root: String

    public init(workspace: Workspace, kind: String) {
        root = workspace.memoRoot + "/" + kind
    }

    /// The digest of what a result depends on (canonical JSON, so key order does not matter).
    public static func key(_ dependencies: [String: JSONValue]) -> Digest {
        SHA256.hash(JSONValue.object(dependencies).numbersNormalized.canonicalText)
    }

    func path(_ key: Digest) -> String { root + "/" + key.hex.prefix(2) + "/" + key.hex + ".json" }

    public func load<Value: Decodable>(_ key: Digest, as type: Value.Type) -> Value? {
        guard let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    public func store<Value: Encodable>(_ key: Digest, _ value: Value) throws {
        let path = path(key)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try AtomicFile.write(try JSONFiles.encode(value, pretty: false), to: path)
    }
}
