import Foundation
import SLMCore

/// The folder a user works in: stage paths are relative to it, and `cache/` sits in it.
///
///     cache/blobs/ab/<sha256>[.zst]   content-addressed outputs
///     cache/runs/ab/<key>.json        run records: stage key → output digests
///     cache/logs/<pipeline>/<stage>.log   the latest log of each stage
///     cache/stage-state/<key>/        what a stage keeps across kills (checkpoints)
///     cache/memo/<kind>/ab/<sha256>.json   work a kind reuses across keys (StageMemo)
///     cache/stat.json                 stat cache; cache/tmp/ temporary files
///
/// Deleting cache/ only costs reruns: the state beside each pipeline and the outputs in
/// the workspace say what is up to date.
public struct Workspace: Sendable {
    public let root: String
    public var cacheRoot: String { root + "/cache" }
    public var blobRoot: String { cacheRoot + "/blobs" }
    public var runRoot: String { cacheRoot + "/runs" }
    public var temporaryRoot: String { cacheRoot + "/tmp" }
    public var logRoot: String { cacheRoot + "/logs" }
    public var stageStateRoot: String { cacheRoot + "/stage-state" }
    public var memoRoot: String { cacheRoot + "/memo" }
    public var statCachePath: String { cacheRoot + "/stat.json" }
    /// Runs hold it shared; `cache gc` holds it exclusive.
    public var cacheLockPath: String { cacheRoot + "/.lock" }

    public init(root: String) {
        var path = URL(fileURLWithPath: root).standardizedFileURL.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.root = path
    }

    /// `--workspace`, else `SLMFLOW_WORKSPACE`, else the current folder.
    public static func resolve(_ option: String?) -> Workspace {
        if let option { return Workspace(root: option) }
        if let variable = ProcessInfo.processInfo.environment["SLMFLOW_WORKSPACE"], !variable.isEmpty {
            return Workspace(root: variable)
        }
        return Workspace(root: FileManager.default.currentDirectoryPath)
    }

    public func absolute(_ relative: String) -> String { root + "/" + relative }

    public func prepare() throws {
        for folder in [blobRoot, runRoot, temporaryRoot, logRoot, stageStateRoot] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let readme = cacheRoot + "/README.md"
        if !FileManager.default.fileExists(atPath: readme) {
            try? AtomicFile.write(
                "# cache/\n\nslmflow's stage cache: content-addressed outputs and run records.\n"
                    + "Safe to delete: it only costs reruns. Models live in zoo/.\n", to: readme)
        }
        AtomicFile.removeAbandonedTemporaries(in: temporaryRoot)
    }

    public var blobs: BlobStore { BlobStore(root: blobRoot, temporaryFolder: temporaryRoot) }
    public var runCache: RunCache { RunCache(root: runRoot) }
}
