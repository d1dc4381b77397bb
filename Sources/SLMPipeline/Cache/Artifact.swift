import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// A stage output (or input) as content: a file, or a folder described by a tree manifest.
public struct Artifact: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case file, tree }
    public var kind: Kind
    /// For a file, the digest of its bytes; for a folder, the digest of its tree manifest.
    public var digest: Digest
    /// Total bytes of the file, or of every file in the folder.
    public var size: Int64
}

/// The content of a folder: every regular file under it, by relative path, sorted.
/// Its canonical JSON is stored as a blob; its digest names the folder's content.
public struct TreeManifest: Codable, Sendable {
    public struct Entry: Codable, Sendable, Hashable {
        public var path: String
        public var digest: Digest
        public var size: Int64
        public var executable: Bool
    }

    public var entries: [Entry]

    public var canonicalJSON: String {
        JSONValue.array(entries.map { entry in
            .object([
                "path": .string(entry.path), "digest": .string(entry.digest.hex), "size": .int(entry.size),
                "executable": .bool(entry.executable),
            ])
        }).canonicalText
    }

    public var digest: Digest { SHA256.hash(canonicalJSON) }
    public var totalSize: Int64 { entries.reduce(0) { $0 + $1.size } }
}

/// Hashes workspace paths into artifacts (through the stat cache), stores them as blobs,
/// and restores them from blobs.
public struct ArtifactStore: Sendable {
    public let blobs: BlobStore
    public let statCache: StatCache

    public init(blobs: BlobStore, statCache: StatCache) {
        self.blobs = blobs
        self.statCache = statCache
    }

    /// The artifact at `path`, or nil when nothing is there.
    public func hash(_ path: String) throws -> Artifact? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            let (digest, size) = try statCache.digest(ofFile: path)
            return Artifact(kind: .file, digest: digest, size: size)
        case S_IFDIR:
            let manifest = try tree(of: path)
            return Artifact(kind: .tree, digest: manifest.digest, size: manifest.totalSize)
        case S_IFLNK:
            guard stat(path, &info) == 0 else { throw SystemError("'\(path)' is a dangling symbolic link") }
            if info.st_mode & S_IFMT == S_IFDIR { return try hashFolderFollowing(path) }
            let (digest, size) = try statCache.digest(ofFile: path)
            return Artifact(kind: .file, digest: digest, size: size)
        default:
            throw SystemError("'\(path)' is neither a file nor a folder")
        }
    }

    private func hashFolderFollowing(_ path: String) throws -> Artifact {
        let manifest = try tree(of: path)
        return Artifact(kind: .tree, digest: manifest.digest, size: manifest.totalSize)
    }

    public func tree(of folder: String) throws -> TreeManifest {
        var entries: [TreeManifest.Entry] = []
        try walk(folder, relative: "", into: &entries)
        entries.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return TreeManifest(entries: entries)
    }

    private func walk(_ folder: String, relative: String, into entries: inout [TreeManifest.Entry]) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        for name in names where !name.contains(AtomicFile.temporaryMarker) {
            let path = folder + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { throw SystemError.errno("cannot read '\(path)'") }
            if info.st_mode & S_IFMT == S_IFDIR {
                try walk(path, relative: relativePath, into: &entries)
            } else if info.st_mode & S_IFMT == S_IFREG {
                let (digest, size) = try statCache.digest(ofFile: path)
                entries.append(.init(path: relativePath, digest: digest, size: size, executable: info.st_mode & 0o100 != 0))
            }
        }
    }

    /// Stores the content at `path` as blobs and returns its artifact.
    public func store(_ path: String) throws -> Artifact {
        guard let artifact = try hash(path) else { throw SystemError("'\(path)' does not exist") }
        switch artifact.kind {
        case .file:
            if !blobs.contains(artifact.digest) {
                let stored = try blobs.store(fileAt: path)
                guard stored.digest == artifact.digest else {
                    throw SystemError("'\(path)' changed while it was being stored")
                }
            }
        case .tree:
            let manifest = try tree(of: path)
            for entry in manifest.entries where !blobs.contains(entry.digest) {
                try blobs.store(fileAt: path + "/" + entry.path)
            }
            try blobs.store(bytes: Array(manifest.canonicalJSON.utf8))
        }
        return artifact
    }

    /// Whether every blob needed to restore the artifact is present.
    public func isComplete(_ artifact: Artifact) -> Bool {
        guard blobs.contains(artifact.digest) else { return false }
        if artifact.kind == .file { return true }
        guard let manifest = try? loadTree(artifact.digest) else { return false }
        return manifest.entries.allSatisfy { blobs.contains($0.digest) }
    }

    func loadTree(_ digest: Digest) throws -> TreeManifest {
        let bytes = try blobs.readAll(digest)
        let entries = try JSONDecoder().decode([TreeManifest.Entry].self, from: Data(bytes))
        return TreeManifest(entries: entries)
    }

    /// Replaces whatever is at `path` with the artifact's content. A folder is built beside
    /// the target and swapped in, so the path holds the old content or the new, never a mix.
    public func restore(_ artifact: Artifact, to path: String) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        switch artifact.kind {
        case .file:
            try removeFolderIfAny(path)
            try blobs.restore(artifact.digest, to: path)
        case .tree:
            let manifest = try loadTree(artifact.digest)
            let staging = AtomicFile.temporaryPath(besides: path)
            do {
                try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
                for entry in manifest.entries {
                    let target = staging + "/" + entry.path
                    try FileManager.default.createDirectory(
                        atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
                    try blobs.restore(entry.digest, to: target, executable: entry.executable)
                }
            } catch {
                try? FileManager.default.removeItem(atPath: staging)
                throw error
            }
            let trash = AtomicFile.temporaryPath(besides: path)
            if access(path, F_OK) == 0 { guard rename(path, trash) == 0 else { throw SystemError.errno("cannot move '\(path)' aside") } }
            guard rename(staging, path) == 0 else { throw SystemError.errno("cannot move the restored '\(path)' into place") }
            AtomicFile.syncFolder(of: path)
            try? FileManager.default.removeItem(atPath: trash)
        }
    }

    private func removeFolderIfAny(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            try FileManager.default.removeItem(atPath: path)
        }
    }
}
