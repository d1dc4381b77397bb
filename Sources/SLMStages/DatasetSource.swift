import Foundation
import SLMCore
import SLMFetch
import SLMFormats
import SLMPipeline

/// Where fetch-dataset's input comes from, made into a local path: a workspace file, a
/// file:// URL, or an http(s) download; archives are unpacked (safely) and a member chosen.
///
/// Downloads go to `<stage state>/download/<name>` (the stage state folder is
/// `cache/stage-state/<stage key>/`): it survives a kill or failure of the same stage key, so
/// the next run resumes the `.partial` file with a Range request, and it is removed when the
/// stage succeeds (the normalized records are the cached output). A wrong checksum deletes
/// the partial download; nothing of it is kept.
struct DatasetSource {
    let parameters: StageParameters
    let stateDirectory: String
    let progress: @Sendable (String) -> Void

    static func isRemote(_ url: String) -> Bool { url.hasPrefix("http://") || url.hasPrefix("https://") }

    /// The file (or folder) the record readers should read.
    func resolve(localPath: String?) throws -> String {
        let file: String, name: String
        if let localPath {
            file = localPath
            name = (localPath as NSString).lastPathComponent
            try checkDigest(of: file)
        } else if let url = parameters.optionalString("url"), url.hasPrefix("file://") {
            file = String(url.dropFirst("file://".count))
            name = (file as NSString).lastPathComponent
            try checkDigest(of: file)
        } else if let url = parameters.optionalString("url"), Self.isRemote(url) {
            name = Self.fileName(of: url)
            file = try download(url, name: name)
        } else {
            throw StageFailure("fetch-dataset: give 'path' or a 'url' (https://, http:// or file://)")
        }
        return try unpackIfArchive(file, name: name)
    }

    /// The URL's last path component, made safe as a file name ("dataset" when there is none).
    static func fileName(of url: String) -> String {
        var rest = url
        if let scheme = rest.range(of: "://") { rest = String(rest[scheme.upperBound...]) }
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = String(rest[..<cut]) }
        let parts = rest.split(separator: "/")
        let last = parts.count > 1 ? String(parts[parts.count - 1]) : ""
        let safe = String(last.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return safe.isEmpty || safe.hasPrefix(".") ? "dataset" : safe
    }

    private func download(_ url: String, name: String) throws -> String {
        guard let hex = parameters.optionalString("sha256")?.lowercased(), let digest = Digest(hex: hex) else {
            throw StageFailure("fetch-dataset: a remote 'url' needs a 'sha256'")
        }
        var options = Fetcher.Options()
        options.retries = parameters.int("retries", 4)
        options.stallSeconds = parameters.int("stall_seconds", 30)
        options.initialBackoff = parameters.double("backoff_seconds", 0.5)
        let target = stateDirectory + "/download/" + name
        progress("downloading \(url)")
        do {
            let result = try Fetcher(options: options).fetch(url, to: target, sha256: digest, label: name)
            progress(result.resumedFrom > 0 ? "downloaded \(result.size) bytes (resumed at \(result.resumedFrom))" : "downloaded \(result.size) bytes")
        } catch let error as FetchError {
            let resumable = error.kind == .stalled || error.kind == .network
            throw StageFailure("fetch-dataset: \(error.description)" + (resumable ? " (what arrived is kept for the next run to resume)" : ""))
        }
        return target
    }

    private func checkDigest(of path: String) throws {
        guard let expected = parameters.optionalString("sha256")?.lowercased() else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw StageFailure("fetch-dataset: 'sha256' needs a readable file at \(path)")
        }
        let actual = try SHA256.hashFile(atPath: path).digest.hex
        guard actual == expected else { throw StageFailure("fetch-dataset: \(path): sha256 \(actual), expected \(expected)") }
    }

    /// Unpacks .gz/.zip/.tar/.tar.gz (by the `archive` parameter, or guessed from the name)
    /// into `<stage state>/unpacked` and returns `member` inside it, or the only file there.
    private func unpackIfArchive(_ file: String, name: String) throws -> String {
        let choice = parameters.string("archive", "auto")
        let format: ArchiveUnpacker.Format?
        switch choice {
        case "auto": format = ArchiveUnpacker.format(forName: name)
        case "none": format = nil
        default: format = ArchiveUnpacker.Format(rawValue: choice)
        }
        guard let format else {
            if parameters.isSet("member") { throw StageFailure("fetch-dataset: 'member' is set but \(name) is not an archive (set 'archive')") }
            return file
        }
        let folder = stateDirectory + "/unpacked"
        try? FileManager.default.removeItem(atPath: folder)
        do {
            try ArchiveUnpacker.unpack(file, format: format, into: folder, name: name)
        } catch let error as ArchiveError {
            try? FileManager.default.removeItem(atPath: folder)
            throw StageFailure("fetch-dataset: \(error.description)")
        }
        progress("unpacked \(name)")
        if let member = parameters.optionalString("member") {
            guard ZipArchive.isSafeName(member) else { throw StageFailure("fetch-dataset: 'member' must be a relative path without '..'") }
            let path = folder + "/" + member
            guard FileManager.default.fileExists(atPath: path) else {
                throw StageFailure("fetch-dataset: the archive \(name) has no '\(member)'; it holds: \(listing(folder).prefix(20).joined(separator: ", "))")
            }
            return path
        }
        let files = listing(folder)
        guard files.count == 1, let only = files.first else {
            throw StageFailure("fetch-dataset: the archive \(name) holds \(files.count) files; choose one with 'member' (\(files.prefix(20).joined(separator: ", ")))")
        }
        return folder + "/" + only
    }

    private func listing(_ folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var files: [String] = []
        while let item = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(item) }
        }
        return files.sorted()
    }
}
