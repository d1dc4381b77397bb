import Foundation
import SLMCore

/// The model zoo of a workspace: `zoo/manifests/<name>/<tag>.json` and
/// `zoo/blobs/ab/<sha256>…` (docs/zoo.md). A model becomes visible only when its manifest
/// is renamed into place, after all its blobs are durable; writers hold a shared lock on
/// `zoo/.lock` and `gc` an exclusive one, so gc never removes blobs of a model being added.
public final class ZooStore: @unchecked Sendable {
    public let root: String
    public let blobs: TensorBlobStore
    public var manifestsRoot: String { root + "/manifests" }
    var temporaryRoot: String { root + "/tmp" }
    var lockPath: String { root + "/.lock" }

    public init(workspaceRoot: String) {
        root = workspaceRoot + "/zoo"
        blobs = TensorBlobStore(root: root + "/blobs", temporaryFolder: root + "/tmp")
    }

    func prepare() throws {
        for folder in [root, manifestsRoot, blobs.root, temporaryRoot] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
    }

    /// Runs `body` holding the zoo lock in `mode`.
    func locked<T>(_ mode: FileLock.Mode, _ body: () throws -> T) throws -> T {
        try prepare()
        let lock = FileLock(path: lockPath)
        try lock.lock(mode)
        defer { lock.unlock() }
        return try body()
    }

    /// `/` in names becomes `%2F`, so `a` and `a/b` never collide on disk.
    static func folderName(_ name: String) -> String { name.replacingOccurrences(of: "/", with: "%2F") }
    static func modelName(_ folder: String) -> String { folder.replacingOccurrences(of: "%2F", with: "/") }

    func manifestPath(_ name: String, _ tag: String) -> String {
        manifestsRoot + "/" + Self.folderName(name) + "/" + tag + ".json"
    }

    // MARK: - reading manifests

    public func loadManifest(at path: String) throws -> ModelManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZooError.invalidInput(path: path, "cannot read the manifest")
        }
        let manifest = try JSONFiles.decode(ModelManifest.self, from: data, path: path)
        try manifest.validate(path: path)
        return manifest
    }

    /// Every manifest, sorted by name and tag; unreadable ones are reported in `problems`.
    public func manifests() -> (models: [ModelManifest], problems: [String]) {
        var models: [ModelManifest] = [], problems: [String] = []
        let manager = FileManager.default
        for folder in ((try? manager.contentsOfDirectory(atPath: manifestsRoot)) ?? []).sorted() where !folder.hasPrefix(".") {
            let directory = manifestsRoot + "/" + folder
            for file in ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            where file.hasSuffix(".json") && !file.hasPrefix(".") {
                do { models.append(try loadManifest(at: directory + "/" + file)) } catch { problems.append("\(error)") }
            }
        }
        return (models, problems)
    }

    public func resolve(_ text: String) throws -> ModelManifest {
        let reference = try ModelReference.parse(text)
        if let prefix = reference.digestPrefix {
            let matches = manifests().models.filter { $0.name == reference.name && $0.digest.hex.hasPrefix(prefix) }
            let digests = Set(matches.map(\.digest))
            if digests.count > 1 { throw ZooError.ambiguous(text, matches.map { "\($0.reference)@\($0.digest.short)" }) }
            guard let match = matches.first else { throw ZooError.notFound(text, suggestions: suggestions(for: reference.name)) }
            return match
        }
        let path = manifestPath(reference.name, reference.tag)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError.notFound(reference.taggedName, suggestions: suggestions(for: reference.name))
        }
        return try loadManifest(at: path)
    }

    private func suggestions(for name: String) -> [String] {
        let references = manifests().models.map(\.reference)
        let sameName = references.filter { $0.hasPrefix(name + ":") }
        if !sameName.isEmpty { return Array(sameName.prefix(4)) }
        return Array(references.sorted { levenshtein($0, name) < levenshtein($1, name) }.prefix(2))
    }

    private func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }

    // MARK: - writing

    /// Writes a manifest atomically (the last step of adding a model).
    public func save(_ manifest: ModelManifest) throws {
        try manifest.validate(path: manifestPath(manifest.name, manifest.tag))
        let path = manifestPath(manifest.name, manifest.tag)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONFiles.encode(manifest), to: path)
    }

    /// Gives an existing model another name:tag (a new manifest; the blobs are shared).
    @discardableResult
    public func tag(_ source: String, as target: String) throws -> ModelManifest {
        var manifest = try resolve(source)
        let reference = try ModelReference.parse(target)
        guard reference.digestPrefix == nil else { throw ZooError.invalidReference(target, "a new tag cannot pin a digest") }
        manifest.name = reference.name
        manifest.tag = reference.tag
        try locked(.shared) { try save(manifest) }
        return manifest
    }

    /// Removes a name:tag. Blobs stay until `gc`.
    public func remove(_ text: String) throws -> ModelManifest {
        let manifest = try resolve(text)
        try locked(.shared) {
            let path = manifestPath(manifest.name, manifest.tag)
            guard unlink(path) == 0 else { throw SystemError.errno("cannot remove '\(path)'") }
            AtomicFile.syncFolder(of: path)
            let folder = (path as NSString).deletingLastPathComponent
            if (try? FileManager.default.contentsOfDirectory(atPath: folder))?.isEmpty == true { rmdir(folder) }
        }
        return manifest
    }

    public struct CollectionReport: Sendable {
        public var removedBlobs = 0
        public var freedBytes: Int64 = 0
        public var keptBlobs = 0
        public var removedTemporaries = 0
        /// Interrupted downloads kept for resuming (removed only with `removePartials`).
        public var partialDownloads = 0
        public var partialBytes: Int64 = 0
    }

    /// Removes blobs that no manifest references, and temporaries of dead writers.
    /// Refuses to run when a manifest cannot be read (its blobs would look unreferenced).
    public func collectGarbage(dryRun: Bool = false, removePartials: Bool = false) throws -> CollectionReport {
        try locked(.exclusive) {
            let (models, problems) = manifests()
            guard problems.isEmpty else {
                throw ZooError.corrupt("gc stopped: \(problems.count) manifest(s) cannot be read, so their blobs cannot be told apart from garbage:\n  " + problems.joined(separator: "\n  "))
            }
            let referenced = models.reduce(into: Set<Digest>()) { $0.formUnion($1.blobDigests) }
            var report = CollectionReport()
            for entry in blobs.entries() {
                if referenced.contains(entry.digest) {
                    report.keptBlobs += 1
                    continue
                }
                if dryRun || unlink(entry.path) == 0 {
                    report.removedBlobs += 1
                    report.freedBytes += entry.storedBytes
                }
            }
            if !dryRun {
                report.removedTemporaries = AtomicFile.removeAbandonedTemporaries(in: temporaryRoot)
                for folder in (try? FileManager.default.contentsOfDirectory(atPath: manifestsRoot)) ?? [] {
                    report.removedTemporaries += AtomicFile.removeAbandonedTemporaries(in: manifestsRoot + "/" + folder)
                }
            }
            collectPartials(into: &report, remove: removePartials && !dryRun)
            return report
        }
    }

    /// Counts (and optionally removes) `.partial` files under zoo/downloads/ whose pull is not
    /// running (its download lock is free).
    private func collectPartials(into report: inout CollectionReport, remove: Bool) {
        let downloads = root + "/downloads"
        for key in (try? FileManager.default.contentsOfDirectory(atPath: downloads)) ?? [] {
            let folder = downloads + "/" + key
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".partial") {
                let path = folder + "/" + name
                let lock = FileLock(path: String(path.dropLast(".partial".count)) + ".lock")
                guard (try? lock.tryLock(.exclusive)) == true else { continue }
                defer { lock.unlock() }
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                report.partialDownloads += 1
                report.partialBytes += Int64(info.st_size)
                if remove { unlink(path) }
            }
        }
    }

    public struct VerifyReport: Sendable {
        public var checkedBlobs = 0
        public var problems: [String] = []
    }

    /// Re-hashes every blob the selected models (default: all) reference.
    public func verify(_ selection: [ModelManifest]? = nil) throws -> VerifyReport {
        var report = VerifyReport()
        let (all, problems) = manifests()
        report.problems += problems
        let models = selection ?? all
        var owners: [Digest: [String]] = [:]
        for model in models {
            for digest in model.blobDigests { owners[digest, default: []].append(model.reference) }
        }
        for digest in owners.keys.sorted() {
            report.checkedBlobs += 1
            do { _ = try blobs.read(digest) } catch {
                report.problems.append("\(error) (used by \(owners[digest, default: []].joined(separator: ", ")))")
            }
        }
        return report
    }

    /// Bytes on disk of the blobs the manifest references (shared blobs counted in full).
    public func storedBytes(of manifest: ModelManifest) -> Int64 {
        manifest.blobDigests.reduce(Int64(0)) { total, digest in
            guard let location = blobs.location(of: digest) else { return total }
            var info = stat()
            return stat(location.path, &info) == 0 ? total + Int64(info.st_size) : total
        }
    }
}
