import Foundation
import SLMCore
import SLMPipeline

/// Evaluate's predictions per model, kept in the workspace's `StageMemo`: keyed by the model
/// folder's files, the prompts and the decoding settings — everything greedy decoding reads —
/// so a rerun caused by another model of the list (added, retrained) decodes only the models
/// that changed. Scoring is cheap and always redone from the predictions.
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

    /// The key for a model folder: a digest of every regular file in it, by relative path.
    func key(modelFolder folder: String) throws -> Digest {
        var files: [String: JSONValue] = [:]
        let walker = FileManager.default.enumerator(atPath: folder)
        while let name = walker?.nextObject() as? String {
            guard (walker?.fileAttributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
            files[name] = .string(try SHA256.hashFile(atPath: folder + "/" + name).digest.hex)
        }
        var dependencies = settings
        dependencies["model_files"] = .object(files)
        return StageMemo.key(dependencies)
    }

    /// The stored predictions, if any and whole (one per prompt).
    func load(_ key: Digest) -> Entry? {
        memo.load(key, as: Entry.self).flatMap { $0.predictions.count == count ? $0 : nil }
    }

    func store(_ key: Digest, _ entry: Entry) throws { try memo.store(key, entry) }
}
