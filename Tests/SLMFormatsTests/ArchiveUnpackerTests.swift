import Foundation
import Testing

@testable import SLMFormats

/// Archives are built with Python's standard library (tarfile, zipfile, gzip), including
/// hostile ones it is happy to write; unpacking must keep everything inside the folder.
@Suite struct ArchiveUnpackerTests {
    let directory: TemporaryDirectory
    var root: String { directory.url.path }
    var folder: String { root + "/out/inner" }

    init() throws { directory = try TemporaryDirectory() }

    func python(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys, io, tarfile, zipfile, gzip\nR = sys.argv[1]\n" + script, root]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    func read(_ relative: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// All names under the temporary root, so a test can see that nothing escaped.
    var everything: [String] { FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? [] }

    @Test func aTarGzWithFoldersLongNamesAndAnInnerSymlinkUnpacks() throws {
        let long = String(repeating: "n", count: 150)
        try python("""
            def add(t, name, data):
                info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            with tarfile.open(R + '/a.tar.gz', 'w:gz', format=tarfile.PAX_FORMAT) as t:
                add(t, 'top/a.txt', b'alpha')
                add(t, 'top/\(long)/b.txt', b'beta' * 1000)
                link = tarfile.TarInfo('top/link'); link.type = tarfile.SYMTYPE; link.linkname = 'a.txt'; t.addfile(link)
                d = tarfile.TarInfo('top/empty'); d.type = tarfile.DIRTYPE; t.addfile(d)
            """)
        try ArchiveUnpacker.unpack(root + "/a.tar.gz", format: .tarGzip, into: folder, name: "a.tar.gz")
        #expect(read("top/a.txt") == "alpha")
        #expect(read("top/\(long)/b.txt") == String(repeating: "beta", count: 1000))
        #expect(read("top/link") == "alpha")
        #expect(!everything.contains { $0.hasSuffix(".slmflow-unpacking.tar") })
    }

    @Test func aPlainGzipAndConcatenatedMembersDecompress() throws {
        try python("open(R + '/t.jsonl.gz', 'wb').write(gzip.compress(b'one\\n') + gzip.compress(b'two\\n'))")
        try ArchiveUnpacker.unpack(root + "/t.jsonl.gz", format: .gzip, into: folder, name: "t.jsonl.gz")
        #expect(read("t.jsonl") == "one\ntwo\n")
        try python("import os; open(R + '/cut.gz', 'wb').write(gzip.compress(os.urandom(100000))[:5000])")
        #expect(throws: ArchiveError.self) { try ArchiveUnpacker.unpack(root + "/cut.gz", format: .gzip, into: root + "/cut", name: "cut.gz") }
    }

    @Test(arguments: [
        ("dotdot", "add(t, '../escaped', b'x')", "outside the folder"),
        ("nested dotdot", "add(t, 'a/../../escaped', b'x')", "outside the folder"),
        ("absolute", "add(t, '/tmp/slmflow-escaped-\(UUID().uuidString)', b'x')", "outside the folder"),
        ("symlink out", "link(t, 'l', '../../escaped')", "symlink"),
        ("absolute symlink", "link(t, 'l', '/etc')", "symlink"),
        ("write through a symlink", "link(t, 'l', 'a/..'); add(t, 'l/x', b'x')", "symlink"),
        ("hard link", "hard = tarfile.TarInfo('h'); hard.type = tarfile.LNKTYPE; hard.linkname = '/etc/passwd'; t.addfile(hard)", "hard link"),
        ("device", "dev = tarfile.TarInfo('d'); dev.type = tarfile.CHRTYPE; t.addfile(dev)", "tar type"),
    ])
    func aHostileTarIsRefused(_ name: String, _ entries: String, _ message: String) throws {
        try python("""
            def add(t, name, data):
                info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            def link(t, name, target):
                info = tarfile.TarInfo(name); info.type = tarfile.SYMTYPE; info.linkname = target; t.addfile(info)
            with tarfile.open(R + '/evil.tar', 'w') as t:
                \(entries)
            """)
        let error = #expect(throws: ArchiveError.self, "\(name)") {
            try ArchiveUnpacker.unpack(root + "/evil.tar", format: .tar, into: folder, name: "evil.tar")
        }
        #expect(error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        #expect(!everything.contains { $0.hasSuffix("escaped") }, "\(name): \(everything)")
    }

    @Test func aZipWithATraversingNameIsRefused() throws {
        try python("""
            with zipfile.ZipFile(R + '/evil.zip', 'w') as z:
                z.writestr('ok.txt', 'fine')
                z.writestr('../escaped', 'x')
            """)
        #expect(throws: ArchiveError.self) { try ArchiveUnpacker.unpack(root + "/evil.zip", format: .zip, into: folder, name: "evil.zip") }
        #expect(!everything.contains { $0.hasSuffix("escaped") })
    }

    @Test func linkTargetsAreResolvedFromTheLinksFolder() {
        #expect(ArchiveUnpacker.staysInside(link: "a/b/l", target: "../c"))
        #expect(!ArchiveUnpacker.staysInside(link: "a/l", target: "../../c"))
        #expect(!ArchiveUnpacker.staysInside(link: "l", target: "x/../../c"))
    }
}
