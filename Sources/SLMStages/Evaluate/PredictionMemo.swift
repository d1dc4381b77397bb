import Foundation
import SLMCore
import SLMPipeline

/// Evaluate's predictions per model, kept in the workspace's `StageMemo`: keyed by the model
/// folder's files, the prompts, the decoding settings and the slmflow executable itself (the
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
    let artifacts: ArtifactStore
    let settings: [String: JSONValue]
    let count: Int

    /// Reads the running executable's digest (through the workspace's stat cache): the same
    /// for every model of the stage.
    init(workspace: String, kindVersion: Int, sources: [String], batchSize: Int, maxNewTokens: Int, sourceLength: Int?) throws {
        let workspace = Workspace(root: workspace)
        memo = StageMemo(workspace: workspace, kind: "evaluate")
        artifacts = ArtifactStore(blobs: workspace.blobs, statCache: StatCache(path: workspace.statCachePath))
        settings = [
            "what": "evaluate predictions", "kind_version": .int(Int64(kindVersion)),
            "prompts": .string(SHA256.hash(JSONValue.array(sources.map(JSONValue.string)).canonicalText).hex),
            "batch_size": .int(Int64(batchSize)), "max_new_tokens": .int(Int64(maxNewTokens)),
            "source_length": sourceLength.map { .int(Int64($0)) } ?? .null,
            "slmflow_build": .string(try artifacts.statCache.digest(ofFile: "/proc/self/exe").digest.hex),
        ]
        count = sources.count
    }

    /// The key for a model folder: its tree digest (every file, links followed, as the loader
    /// follows them; through the workspace's stat cache, so unchanged weights are not read
    /// again) with the settings; nil when the folder holds no file.
    func key(modelFolder folder: String) throws -> Digest? {
        let files = try artifacts.tree(of: folder)
        guard !files.entries.isEmpty else { return nil }
        var dependencies = settings
        dependencies["model_files"] = .string(files.digest.hex)
        return StageMemo.key(dependencies)
    }

    /// Keeps the file hashes `key` made in the workspace's stat cache for later runs.
    func saveHashes() { artifacts.statCache.save() }

    /// The stored predictions, if any and whole (one per prompt).
    func load(_ key: Digest?) -> Entry? {
        key.flatMap { memo.load($0, as: Entry.self) }.flatMap { $0.predictions.count == count ? $0 : nil }
    }

    func store(_ key: Digest?, _ entry: Entry) throws {
        if let key { try memo.store(key, entry) }
    }
}
