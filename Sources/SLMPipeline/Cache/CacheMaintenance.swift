import Foundation
import SLMCore

/// `slmflow cache du | gc | verify`.
public struct CacheMaintenance {
    public let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    public struct Usage: Codable, Sendable {
        public var blobs: Int
        public var compressedBlobs: Int
        public var blobBytes: Int64
        public var runRecords: Int
        /// Checkpoints of interrupted stage runs (cache/stage-state/<key>/), kept so a rerun resumes.
        public var interruptedRuns: Int
        public var checkpointBytes: Int64
        /// Results stage kinds reuse across keys (cache/memo/, `StageMemo`).
        public var memoEntries: Int
        public var memoBytes: Int64
        public var otherBytes: Int64
        public var totalBytes: Int64

        enum CodingKeys: String, CodingKey {
            case blobs, runRecords = "run_records", blobBytes = "blob_bytes", compressedBlobs = "compressed_blobs"
            case interruptedRuns = "interrupted_runs", checkpointBytes = "checkpoint_bytes"
            case memoEntries = "memo_entries", memoBytes = "memo_bytes"
            case otherBytes = "other_bytes", totalBytes = "total_bytes"
        }
    }

    /// The stage-state folders left by runs that did not finish (a finished run removes its own).
    func interruptedRunFolders() -> [String] {
        let root = workspace.stageStateRoot
        return ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().map { root + "/" + $0 }
    }

    public func usage() -> Usage {
        let entries = workspace.blobs.entries()
        let blobBytes = entries.reduce(Int64(0)) { $0 + $1.storedBytes }
        let interrupted = interruptedRunFolders()
        let checkpointBytes = interrupted.reduce(Int64(0)) { $0 + Self.folderSize($1) }
        let memo = Self.files(in: workspace.memoRoot)
        let total = Self.folderSize(workspace.cacheRoot)
        return Usage(
            blobs: entries.count, compressedBlobs: entries.filter(\.compressed).count, blobBytes: blobBytes,
            runRecords: workspace.runCache.allKeys().count, interruptedRuns: interrupted.count, checkpointBytes: checkpointBytes,
            memoEntries: memo.count, memoBytes: memo.bytes,
            otherBytes: total - blobBytes - checkpointBytes - memo.bytes, totalBytes: total)
    }

    public struct VerifyReport: Codable, Sendable {
        public var checked: Int
        public var corrupt: [String]
        /// Run records whose outputs can no longer be restored (a blob is missing).
        public var incompleteRuns: [String]
        enum CodingKeys: String, CodingKey { case checked, corrupt, incompleteRuns = "incomplete_runs" }
    }

    /// Re-hashes every blob; corrupt ones are removed (the stages that made them rerun).
    public func verify() -> VerifyReport {
        let blobs = workspace.blobs
        var corrupt: [String] = []
        let entries = blobs.entries()
        for entry in entries {
            do { try blobs.verify(entry.digest) } catch { corrupt.append(entry.digest.hex) }
        }
        let artifacts = ArtifactStore(blobs: blobs, statCache: StatCache(path: workspace.statCachePath))
        var incomplete: [String] = []
        for key in workspace.runCache.allKeys() {
            guard let record = workspace.runCache.record(for: key) else { continue }
            if !record.outputs.allSatisfy({ artifacts.isComplete($0.artifact) }) { incomplete.append(key.hex) }
        }
        return VerifyReport(checked: entries.count, corrupt: corrupt, incompleteRuns: incomplete)
    }

    public struct CollectReport: Codable, Sendable {
        public var removedBlobs: Int
        public var removedBytes: Int64
        public var removedRunRecords: Int
        public var keptBlobs: Int
        /// Interrupted runs whose checkpoints were removed (only with `checkpoints`).
        public var removedCheckpoints: Int
        public var removedCheckpointBytes: Int64
        /// Memoised results removed (only with `memo`).
        public var removedMemoEntries: Int
        public var removedMemoBytes: Int64
        enum CodingKeys: String, CodingKey {
            case removedBlobs = "removed_blobs", removedBytes = "removed_bytes", removedRunRecords = "removed_run_records"
            case keptBlobs = "kept_blobs", removedCheckpoints = "removed_checkpoints", removedCheckpointBytes = "removed_checkpoint_bytes"
            case removedMemoEntries = "removed_memo_entries", removedMemoBytes = "removed_memo_bytes"
        }
    }

    /// Removes blobs no run record needs. With `keepOnly`, first removes every run record
    /// that none of those state files (the `.lock` beside each pipeline) points at. With
    /// `checkpoints`, also the checkpoints of interrupted runs (their stages then start over);
    /// with `memo`, the memoised results (cache/memo/: later runs recompute them).
    /// Holds the cache lock exclusively, so it never races a run.
    public func collect(keepOnly statePaths: [String]? = nil, checkpoints: Bool = false, memo: Bool = false,
                        waitMessage: (String) -> Void) throws -> CollectReport {
        let lock = FileLock(path: workspace.cacheLockPath)
        if !(try lock.tryLock(.exclusive)) {
            waitMessage("waiting for the runs using \(workspace.cacheRoot) to finish")
            try lock.lock(.exclusive)
        }
        defer { lock.unlock() }

        let runCache = workspace.runCache
        var removedRecords = 0
        if let statePaths {
            var live = Set<Digest>()
            for path in statePaths {
                let state = try PipelineState.load(path, pipeline: "")
                live.formUnion(state.stages.values.map(\.key))
            }
            for key in runCache.allKeys() where !live.contains(key) {
                runCache.remove(key)
                removedRecords += 1
            }
        }

        let blobs = workspace.blobs
        let artifacts = ArtifactStore(blobs: blobs, statCache: StatCache(path: workspace.statCachePath))
        var referenced = Set<Digest>()
        for key in runCache.allKeys() {
            guard let record = runCache.record(for: key) else { continue }
            if let log = record.log { referenced.insert(log) }
            for output in record.outputs {
                referenced.insert(output.artifact.digest)
                if output.artifact.kind == .tree, let tree = try? artifacts.loadTree(output.artifact.digest) {
                    referenced.formUnion(tree.entries.map(\.digest))
                }
            }
        }
        var removed = 0, removedBytes: Int64 = 0, kept = 0
        for entry in blobs.entries() {
            if referenced.contains(entry.digest) {
                kept += 1
            } else if (try? FileManager.default.removeItem(atPath: entry.path)) != nil {
                removed += 1
                removedBytes += entry.storedBytes
            }
        }
        var removedCheckpoints = 0, removedCheckpointBytes: Int64 = 0
        if checkpoints {
            for folder in interruptedRunFolders() {
                let size = Self.folderSize(folder)
                if (try? FileManager.default.removeItem(atPath: folder)) != nil {
                    removedCheckpoints += 1
                    removedCheckpointBytes += size
                }
            }
        }
        var removedMemo = (count: 0, bytes: Int64(0))
        if memo, FileManager.default.fileExists(atPath: workspace.memoRoot) {
            let found = Self.files(in: workspace.memoRoot)
            try FileManager.default.removeItem(atPath: workspace.memoRoot)
            removedMemo = found
        }
        AtomicFile.removeAbandonedTemporaries(in: workspace.temporaryRoot)
        return CollectReport(removedBlobs: removed, removedBytes: removedBytes, removedRunRecords: removedRecords, keptBlobs: kept,
                             removedCheckpoints: removedCheckpoints, removedCheckpointBytes: removedCheckpointBytes,
                             removedMemoEntries: removedMemo.count, removedMemoBytes: removedMemo.bytes)
    }

    static func folderSize(_ path: String) -> Int64 { files(in: path).bytes }

    /// The regular files under `path`: how many, and their bytes.
    static func files(in path: String) -> (count: Int, bytes: Int64) {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return (0, 0) }
        var count = 0, total: Int64 = 0
        while let name = walker.nextObject() as? String {
            if let size = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name))?[.size] as? NSNumber,
                (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular
            {
                count += 1
                total += size.int64Value
            }
        }
        return (count, total)
    }
}
