import Foundation
import SLMCore
import SLMPipeline

/// Evaluate's predictions per model, kept in the workspace's `StageMemo`: keyed by the model
/// folder's files, the prompts, the decoding settings and the slmflow binary itself (the
/// engine's numerics are code too: a new build decodes again rather than mix its
/// predictions with an old build's in one table) — everything greedy decoding reads — so a
/// rerun caused by another model of the list (added, retrained) decodes only the models that
/// changed. Scoring is cheap and always redone from the predictions.
struct PredictionMemo {
    struct Entry: Codable {
        var predictions: [String]
        /// How long decoding took when it was done.
        var seconds: Double
    }

    let memo: StageMemo
    let settings: [String: JSONValue]
    let count: Int

    init(workspace: String, kindVersion: Int, sources: [String], batchSize: Int, maxNewTokens: Int, sourceLength: Int?) {
        memo = StageMemo(workspace: Workspace(root: workspace), kind: "evaluate")
        settings = [
            "what": "evaluate predictions", "kind_version": .int(Int64(kindVersion)),
            "prompts": .string(SHA256.hash(JSONValue.array(sources.map(JSONValue.string)).canonicalText).hex),
            "batch_size": .int(Int64(batchSize)), "max_new_tokens": .int(Int64(maxNewTokens)),
            "source_length": sourceLength.map { .int(Int64($0)) } ?? .null,
        ]
        count = sources.count
    }

    /// The running executable's digest, once per process; nil where it cannot be read (then
    /// nothing is memoised).
    static let build: String? = try? SHA256.hashFile(atPath: "/proc/self/exe").digest.hex

    /// The key for a model folder: a digest of every file in it (symbolic links followed, as
    /// the loader follows them), by relative path; nil when there is nothing to key on.
    func key(modelFolder folder: String) throws -> Digest? {
        guard let build = Self.build else { return nil }
        let root = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        var files: [String: JSONValue] = [:]
        let walker = FileManager.default.enumerator(atPath: root)
        while let name = walker?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            files[name] = .string(try SHA256.hashFile(atPath: root + "/" + name).digest.hex)
        }
        guard !files.isEmpty else { return nil }
        var dependencies = settings
        dependencies["model_files"] = .object(files)
        dependencies["slmflow_build"] = .string(build)
        return StageMemo.key(dependencies)
    }

    /// The stored predictions, if any and whole (one per prompt).
    func load(_ key: Digest?) -> Entry? {
        key.flatMap { memo.load($0, as: Entry.self) }.flatMap { $0.predictions.count == count ? $0 : nil }
    }

    func store(_ key: Digest?, _ entry: Entry) throws {
        if let key { try memo.store(key, entry) }
    }
}
