import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Unpacks .gz, .zip, .tar and .tar.gz files into a folder so that nothing can land outside
/// it: entry names that are absolute, contain `..`, a backslash or a NUL are refused; a
/// symlink whose target is absolute or climbs out of the folder is refused, as are hard
/// links and device entries; no file is ever written through a symlink (every parent is
/// checked with lstat and files are created with O_EXCL|O_NOFOLLOW).
public enum ArchiveUnpacker {
    public enum Format: String, CaseIterable, Sendable {
        case gzip = "gz", zip, tar, tarGzip = "tar.gz"
    }

    /// The format a file name suggests, or nil for a plain file.
    public static func format(forName name: String) -> Format? {
        let lower = name.lowercased()
        if lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tgz") { return .tarGzip }
        if lower.hasSuffix(".tar") { return .tar }
        if lower.hasSuffix(".zip") { return .zip }
        if lower.hasSuffix(".gz") { return .gzip }
        return nil
    }

    /// Unpacks `archive` into `folder` (created; must not exist or be empty). For a plain
    /// .gz the single file is named after the archive without its suffix (`name`).
    public static func unpack(_ archive: String, format: Format, into folder: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        switch format {
        case .gzip:
            var base = (name as NSString).lastPathComponent
            if base.lowercased().hasSuffix(".gz") { base = String(base.dropLast(3)) }
            if base.isEmpty || base == "." || base == ".." { base = "data" }
            try Gunzip.decompress(archive, to: folder + "/" + base)
        case .zip:
            let zip: ZipArchive
            do { zip = try ZipArchive(path: archive) } catch let error as ZipError { throw ArchiveError(archive, error.message) }
            for member in zip.members {
                if member.name.hasSuffix("/") {
                    try makeDirectories(member.name, in: folder, archive: archive)
                    continue
                }
                let data: Data
                do { data = try zip.contents(of: member) } catch let error as ZipError { throw ArchiveError(archive, error.message) }
                try writeFile(member.name, in: folder, archive: archive) { try $0.write(contentsOf: data) }
            }
        case .tar:
            try unpackTar(archive, into: folder, reportedAs: archive)
        case .tarGzip:
            let inner = folder + "/.slmflow-unpacking.tar"
            defer { unlink(inner) }
            try Gunzip.decompress(archive, to: inner)
            try unpackTar(inner, into: folder, reportedAs: archive)
        }
    }

    private static func unpackTar(_ path: String, into folder: String, reportedAs archive: String) throws {
        var reader = try TarReader(path: path)
        defer { reader.close() }
        // Bounded: every entry consumes at least one 512-byte block of a finite file.
        while let entry = try reader.next() {
            switch entry.type {
            case .directory:
                try makeDirectories(entry.name, in: folder, archive: archive)
            case .file:
                try writeFile(entry.name, in: folder, archive: archive) { handle in try reader.readData { try handle.write(contentsOf: $0) } }
            case .symlink:
                try checkName(entry.name, archive: archive)
                guard !entry.linkTarget.hasPrefix("/"), staysInside(link: entry.name, target: entry.linkTarget) else {
                    throw ArchiveError(archive, "entry '\(entry.name)' is a symlink to '\(entry.linkTarget)', outside the folder; refused")
                }
                let path = try parentFolder(of: entry.name, in: folder, archive: archive) + "/" + lastComponent(entry.name)
                guard symlink(entry.linkTarget, path) == 0 else {
                    throw ArchiveError(archive, "entry '\(entry.name)': cannot create the symlink (\(String(cString: strerror(errno))))")
                }
            case .hardlink:
                throw ArchiveError(archive, "entry '\(entry.name)' is a hard link to '\(entry.linkTarget)'; hard links are refused")
            case .other(let flag):
                throw ArchiveError(archive, "entry '\(entry.name)' has tar type '\(Character(UnicodeScalar(flag)))'; only files, folders and symlinks are unpacked")
            }
        }
    }

    /// Whether a relative link target, resolved from the link's folder, stays in the root.
    static func staysInside(link: String, target: String) -> Bool {
        var depth = link.split(separator: "/").count - 1
        for component in target.split(separator: "/") {
            if component == ".." { depth -= 1 } else if component != "." { depth += 1 }
            if depth < 0 { return false }
        }
        return !target.isEmpty
    }

    static func checkName(_ name: String, archive: String) throws {
        var trimmed = name
        while trimmed.hasPrefix("./") { trimmed.removeFirst(2) }
        guard ZipArchive.isSafeName(trimmed) else {
            throw ArchiveError(archive, "entry '\(name)' would be written outside the folder (absolute, '..', or a backslash); refused")
        }
    }

    private static func components(_ name: String) -> [String] {
        name.split(separator: "/").map(String.init).filter { $0 != "." }
    }

    private static func lastComponent(_ name: String) -> String { components(name).last ?? "" }

    /// Creates (or checks) every folder on `name`'s path; none may be a symlink or a file.
    private static func makeDirectories(_ name: String, in folder: String, archive: String) throws {
        try checkName(name, archive: archive)
        var path = folder
        for component in components(name) {
            path += "/" + component
            var info = stat()
            if lstat(path, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw ArchiveError(archive, "entry '\(name)': '\(component)' is already a file or a symlink; nothing is written through it")
                }
            } else if mkdir(path, 0o755) != 0 {
                throw ArchiveError(archive, "entry '\(name)': cannot create the folder (\(String(cString: strerror(errno))))")
            }
        }
    }

    private static func parentFolder(of name: String, in folder: String, archive: String) throws -> String {
        let parts = components(name)
        guard !parts.isEmpty else { throw ArchiveError(archive, "an entry with an empty name") }
        let parent = parts.dropLast().joined(separator: "/")
        if !parent.isEmpty { try makeDirectories(parent, in: folder, archive: archive) }
        return parent.isEmpty ? folder : folder + "/" + parent
    }

    private static func writeFile(_ name: String, in folder: String, archive: String, body: (FileHandle) throws -> Void) throws {
        try checkName(name, archive: archive)
        let path = try parentFolder(of: name, in: folder, archive: archive) + "/" + lastComponent(name)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ArchiveError(archive, "entry '\(name)': cannot create the file (\(String(cString: strerror(errno)))); duplicate names and links are refused")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try body(handle)
    }
}
