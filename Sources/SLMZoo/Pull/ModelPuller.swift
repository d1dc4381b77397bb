import Foundation
import SLMCore
import SLMFetch
import SLMFormats

#if canImport(Glibc)
    import Glibc
#endif

/// `slmflow zoo pull`: downloads into `zoo/downloads/<key>/` (partial files stay there for
/// resuming), verifies, imports, and removes the download once its tensors are blobs.
/// A lock per download key serialises concurrent pulls of the same thing; the second one
/// finds the model already imported and only adds its name.
public struct ModelPuller {
    public let zoo: ZooStore
    public var fetcher: Fetcher
    /// The Hugging Face hub; `SLMFLOW_HF_ENDPOINT` or `HF_ENDPOINT` override it.
    public var hubEndpoint: String

    public init(zoo: ZooStore, fetcher: Fetcher = Fetcher()) {
        self.zoo = zoo
        var fetcher = fetcher
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["HF_TOKEN"], !token.isEmpty { fetcher.options.headers.append("Authorization: Bearer \(token)") }
        self.fetcher = fetcher
        hubEndpoint = environment["SLMFLOW_HF_ENDPOINT"] ?? environment["HF_ENDPOINT"] ?? "https://huggingface.co"
        while hubEndpoint.hasSuffix("/") { hubEndpoint.removeLast() }
    }

    var downloadsRoot: String { zoo.root + "/downloads" }

    public func pull(_ text: String, name: String?, sha256: Digest?, slmflowVersion: String) throws -> ModelManifest {
        let source = try PullSource.parse(text)
        switch source {
        case .url(let url): return try pullURL(url, name: name, sha256: sha256, slmflowVersion: slmflowVersion)
        case .catalog(let entryName):
            let catalog = try ModelCatalog.load(zooRoot: zoo.root)
            guard let entry = catalog.entry(entryName) else {
                throw ZooError.notFound(entryName, suggestions: catalog.entries.map(\.name))
            }
            return try pullCatalog(entry, name: name, slmflowVersion: slmflowVersion)
        case .huggingFace(let repository, let revision):
            return try pullHub(repository: repository, revision: revision, name: name, slmflowVersion: slmflowVersion)
        }
    }

    // MARK: - one URL

    func pullURL(_ url: String, name: String?, sha256: Digest?, slmflowVersion: String) throws -> ModelManifest {
        var expected = sha256
        if expected == nil, !url.lowercased().hasPrefix("file://") {
            expected = try publishedDigest(url)
            guard expected != nil else {
                throw ZooError.invalidInput(path: url, "a sha256 is required for remote URLs (--sha256 HEX); the server publishes none")
            }
        }
        let key = expected?.hex ?? SHA256.hash(url).hex
        let fileName = Self.safeFileName(url)
        return try withPullLock(key) {
            if let expected, let existing = try reuse(sourceDigest: expected, name: name) { return existing }
            let folder = downloadsRoot + "/" + key
            let result = try fetcher.fetch(url, to: folder + "/" + fileName, sha256: expected)
            defer { removeDownload(folder) }
            var model = try ModelImporter.open(result.path)
            model.source = .init(location: url, format: model.source.format, sha256: result.digest, license: model.source.license)
            return try add(model, name: name ?? model.suggestedName, slmflowVersion: slmflowVersion)
        }
    }

    // MARK: - catalog

    func pullCatalog(_ entry: ModelCatalog.Entry, name: String?, slmflowVersion: String) throws -> ModelManifest {
        let finalDigest = entry.memberSHA256 ?? entry.sha256
        return try withPullLock(entry.sha256.hex) {
            if let existing = try reuse(sourceDigest: finalDigest, name: name ?? entry.name) { return existing }
            let folder = downloadsRoot + "/" + entry.sha256.hex
            let download = try fetcher.fetch(entry.url, to: folder + "/" + Self.safeFileName(entry.url), sha256: entry.sha256,
                                             size: entry.size, label: entry.name)
            defer { removeDownload(folder) }
            var path = download.path
            if let memberName = entry.member {
                path = folder + "/" + Self.safeFileName(memberName)
                try extract(memberName, from: download.path, to: path, sha256: entry.memberSHA256)
            }
            var model = try ModelImporter.open(path)
            model.source = .init(location: entry.url + (entry.member.map { "#" + $0 } ?? ""), format: entry.format,
                                 sha256: finalDigest, license: entry.license)
            return try add(model, name: name ?? entry.name, slmflowVersion: slmflowVersion)
        }
    }

    /// Writes a zip member to `path` after checking its digest (read by the validating zip reader).
    func extract(_ member: String, from archivePath: String, to path: String, sha256: Digest?) throws {
        let archive = try ZipArchive(path: archivePath)
        guard let entry = archive.member(named: member) else {
            throw ZooError.invalidInput(path: archivePath, "the archive has no member '\(member)'")
        }
        let bytes = try archive.contents(of: entry)
        if let sha256 {
            let actual = SHA256.hash(bytes)
            guard actual == sha256 else {
                throw ZooError.corrupt("member '\(member)' of \(archivePath) hashes to sha256:\(actual.hex), the catalog says sha256:\(sha256.hex)")
            }
        }
        try AtomicFile.write(bytes, to: path)
    }

    // MARK: - Hugging Face hub

    func pullHub(repository: String, revision: String, name: String?, slmflowVersion: String) throws -> ModelManifest {
        let location = "hf://\(repository)@\(revision)"
        let key = "hf-" + SHA256.hash(location).short
        return try withPullLock(key) {
            let folder = downloadsRoot + "/" + key
            defer { removeDownload(folder) }
            try fetchHubFile(repository, revision, "config.json", into: folder, required: true)
            try fetchHubFile(repository, revision, "tokenizer.json", into: folder, required: false)
            if try !fetchHubFile(repository, revision, "model.safetensors", into: folder, required: false) {
                guard try fetchHubFile(repository, revision, "model.safetensors.index.json", into: folder, required: false) else {
                    throw ZooError.invalidInput(path: location, "the repository has neither model.safetensors nor model.safetensors.index.json")
                }
                let shards = Set(try SafetensorsImporter.readIndex(folder + "/model.safetensors.index.json").map(\.1))
                for shard in shards.sorted() { try fetchHubFile(repository, revision, shard, into: folder, required: true) }
            }
            var model = try ModelImporter.open(folder)
            model.source = .init(location: location, format: "hf", sha256: nil, license: model.source.license)
            let defaultName = SafetensorsImporter.suggestedName(String(repository.split(separator: "/").last ?? "model"))
            return try add(model, name: name ?? (revision == "main" ? defaultName : defaultName + ":" + revision), slmflowVersion: slmflowVersion)
        }
    }

    /// Downloads one file of a hub repository, verified by the hub's sha256 ETag when it has
    /// one (LFS files); returns false for a 404 when the file is optional.
    @discardableResult
    func fetchHubFile(_ repository: String, _ revision: String, _ file: String, into folder: String, required: Bool) throws -> Bool {
        let url = "\(hubEndpoint)/\(repository)/resolve/\(revision)/\(file)"
        let (status, headers) = try fetcher.head(url)
        if status == 404 || status == 401 || status == 403 {
            if required { throw ZooError.invalidInput(path: url, "HTTP \(status): the file is missing or not accessible (set HF_TOKEN for gated repositories)") }
            return false
        }
        let digest = Self.sha256(fromETag: headers["x-linked-etag"]) ?? Self.sha256(fromETag: headers["etag"])
        try fetcher.fetch(url, to: folder + "/" + file, sha256: digest, label: file)
        return true
    }

    /// A digest the server publishes for a URL: an ETag or X-Linked-Etag that is a sha256.
    func publishedDigest(_ url: String) throws -> Digest? {
        guard let (status, headers) = try? fetcher.head(url), status < 400 else { return nil }
        return Self.sha256(fromETag: headers["x-linked-etag"]) ?? Self.sha256(fromETag: headers["etag"])
    }

    static func sha256(fromETag value: String?) -> Digest? {
        guard var text = value else { return nil }
        if text.hasPrefix("W/") { text.removeFirst(2) }
        return Digest(hex: text.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
    }

    // MARK: - helpers

    func withPullLock<T>(_ key: String, _ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: downloadsRoot, withIntermediateDirectories: true)
        let lock = FileLock(path: downloadsRoot + "/" + key + ".pull.lock")
        try lock.lock(.exclusive, owner: "pid \(getpid())")
        defer { lock.unlock() }
        return try body()
    }

    /// A model already pulled from the same bytes: returned (under the requested name, added if new).
    func reuse(sourceDigest: Digest, name: String?) throws -> ModelManifest? {
        guard let existing = zoo.manifests().models.first(where: { $0.source?.sha256 == sourceDigest }) else { return nil }
        guard let name else { return existing }
        let reference = try ModelReference.parse(name)
        if existing.name == reference.name && existing.tag == reference.tag { return existing }
        if let current = try? zoo.resolve(reference.taggedName), current.digest == existing.digest { return current }
        return try zoo.tag(existing.reference, as: reference.taggedName)
    }

    func add(_ model: ImportedModel, name: String, slmflowVersion: String) throws -> ModelManifest {
        let reference = try ModelReference.parse(name)
        return try zoo.add(model, as: reference, slmflowVersion: slmflowVersion)
    }

    /// Removes a finished download folder (never `.partial` files of other pulls: those live
    /// under their own keys).
    func removeDownload(_ folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where !name.hasSuffix(".partial") { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    /// The URL's last path component, reduced to a plain file name.
    static func safeFileName(_ url: String) -> String {
        var path = url
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<query]) }
        let base = path.split(separator: "/").last.map(String.init) ?? ""
        let cleaned = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "download" + cleaned : cleaned
    }
}
