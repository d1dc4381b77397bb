import Foundation
import SLMCore
import SLMData
import SLMPipeline
import SLMTestSupport
import Testing

@testable import SLMStages

/// fetch-dataset over http against the loopback test server: resume, checksum, 404, stall,
/// redirects and archives. Every failure case uses `retries: 0` so nothing waits on back-off.
@Suite(.serialized) struct FetchDatasetDownloadTests {
    /// A sandbox workspace plus a server serving `<sandbox>/served`.
    final class Fixture {
        let sandbox: StageSandbox
        let server: LoopbackServer
        let lines: Int
        let digest: String

        init(lines: Int = 3000) throws {
            sandbox = try StageSandbox()
            self.lines = lines
            let text = (0..<lines).map { "{\"source\": \"question number \($0)\", \"target\": \"answer \($0)\"}" }.joined(separator: "\n") + "\n"
            try sandbox.write(text, to: "served/d.jsonl")
            digest = SHA256.hash(Data(text.utf8)).hex
            server = try LoopbackServer(serving: sandbox.root + "/served")
        }

        deinit { try? FileManager.default.removeItem(atPath: sandbox.root) }

        func run(_ fields: String) throws -> RunReport {
            try sandbox.run("""
                slmflow: 1
                name: f
                stages:
                  fetch: {kind: fetch-dataset, format: seed-jsonl, \(fields)}
                """)
        }

        /// Every file under cache/stage-state (downloads and partial downloads live there).
        var stateFiles: [String] {
            let root = sandbox.root + "/cache/stage-state"
            return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
            }.map { root + "/" + $0 }
        }

        func records() throws -> Int {
            try ["train", "validation", "test"].map { try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/f/fetch/data/\($0).jsonl").count }.reduce(0, +)
        }

        var hasOutput: Bool { FileManager.default.fileExists(atPath: sandbox.root + "/out/f/fetch/data/train.jsonl") }
    }

    static func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1 }

    @Test func aDownloadCutMidBodyResumesFromItsPartialFileOnTheNextRun() throws {
        let f = try Fixture()
        let fields = "url: \"\(f.server.base)/files/d.jsonl?cut=30000\", sha256: \(f.digest), retries: 0"
        let cut = try f.run(fields)
        #expect(cut.stages.first?.status == .failed)
        #expect(!f.hasOutput)
        let partials = f.stateFiles.filter { $0.hasSuffix("/download/d.jsonl.partial") }
        #expect(partials.count == 1 && partials.allSatisfy { Self.size($0) == 30000 }, "\(f.stateFiles)")

        // The same stage key: the partial file is resumed with a Range request.
        let resumed = try f.run(fields)
        #expect(resumed.stages.first?.status == .ran, "\(resumed.stages.first?.error ?? "")")
        #expect(try f.records() == f.lines)
        #expect(f.server.requests.contains { $0.hasSuffix("bytes=30000-") }, "\(f.server.requests)")
        #expect(f.stateFiles.isEmpty, "the stage state (download included) is removed once the stage succeeds")
    }

    @Test func aWrongChecksumFailsAndKeepsNothing() throws {
        let f = try Fixture()
        let report = try f.run("url: \"\(f.server.base)/files/d.jsonl\", sha256: \"\(String(repeating: "ab", count: 32))\", retries: 0")
        #expect(report.stages.first?.status == .failed)
        #expect(report.stages.first?.error?.contains("sha256") == true, "\(report.stages.first?.error ?? "")")
        #expect(!f.hasOutput)
        // Only the (empty) lock file may remain; no bytes of the download.
        #expect(f.stateFiles.filter { $0.contains("/download/") && !$0.hasSuffix(".lock") }.isEmpty, "\(f.stateFiles)")
        // Nothing was cached: the next run runs again (and fails again), it is not restored.
        let again = try f.run("url: \"\(f.server.base)/files/d.jsonl\", sha256: \"\(String(repeating: "ab", count: 32))\", retries: 0")
        #expect(again.stages.first?.status == .failed)
    }

    @Test func aMissingFileIsA404() throws {
        let f = try Fixture(lines: 10)
        let report = try f.run("url: \"\(f.server.base)/files/missing.jsonl\", sha256: \(f.digest), retries: 0")
        #expect(report.stages.first?.status == .failed)
        #expect(report.stages.first?.error?.contains("404") == true, "\(report.stages.first?.error ?? "")")
        #expect(!f.hasOutput)
    }

    @Test func aStalledDownloadFailsAndKeepsWhatArrived() throws {
        let f = try Fixture()
        let report = try f.run("url: \"\(f.server.base)/files/d.jsonl?stall=20000\", sha256: \(f.digest), retries: 0, stall_seconds: 1")
        #expect(report.stages.first?.status == .failed)
        #expect(report.stages.first?.error?.contains("stalled") == true, "\(report.stages.first?.error ?? "")")
        #expect(f.stateFiles.contains { $0.hasSuffix(".partial") && Self.size($0) == 20000 }, "\(f.stateFiles)")
    }

    @Test func aRedirectedTarGzIsUnpackedAndItsMemberRead() throws {
        let f = try Fixture(lines: 40)
        try python("""
            import sys, tarfile
            with tarfile.open(sys.argv[1] + '/served/d.tar.gz', 'w:gz') as t:
                t.add(sys.argv[1] + '/served/d.jsonl', 'set/data/d.jsonl')
                t.add(sys.argv[1] + '/served/d.jsonl', 'set/README')
            """, f.sandbox.root)
        let digest = try SHA256.hashFile(atPath: f.sandbox.root + "/served/d.tar.gz").digest.hex
        let report = try f.run("url: \"\(f.server.base)/redirect/d.tar.gz\", sha256: \(digest), member: set/data/d.jsonl, limit: 25")
        #expect(report.stages.first?.status == .ran, "\(report.stages.first?.error ?? "")")
        #expect(try f.records() == 25)
        #expect(f.server.requests.contains { $0.hasPrefix("GET /redirect/d.tar.gz") })

        // Without 'member', an archive of several files is an error that lists them.
        let ambiguous = try f.run("url: \"\(f.server.base)/files/d.tar.gz\", sha256: \(digest)")
        #expect(ambiguous.stages.first?.error?.contains("set/README") == true, "\(ambiguous.stages.first?.error ?? "")")
    }

    @Test func aGzipFileURLAndAZipPathAreUnpacked() throws {
        let f = try Fixture(lines: 30)
        try python("""
            import sys, gzip, zipfile
            data = open(sys.argv[1] + '/served/d.jsonl', 'rb').read()
            open(sys.argv[1] + '/served/d.jsonl.gz', 'wb').write(gzip.compress(data))
            with zipfile.ZipFile(sys.argv[1] + '/d.zip', 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('d.jsonl', data)
            """, f.sandbox.root)
        let gz = try f.run("url: \"file://\(f.sandbox.root)/served/d.jsonl.gz\"")
        #expect(gz.stages.first?.status == .ran, "\(gz.stages.first?.error ?? "")")
        #expect(try f.records() == 30)
        let zip = try f.run("path: d.zip, seed: 3")
        #expect(zip.stages.first?.status == .ran, "\(zip.stages.first?.error ?? "")")
        #expect(try f.records() == 30)
    }

    @Test func anArchiveThatEscapesItsFolderIsRefused() throws {
        let f = try Fixture(lines: 5)
        try python("""
            import sys, tarfile, io
            with tarfile.open(sys.argv[1] + '/evil.tar.gz', 'w:gz') as t:
                data = b'{"source": "a", "target": "b"}\\n'
                info = tarfile.TarInfo('../../escaped.jsonl'); info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            """, f.sandbox.root)
        let report = try f.run("path: evil.tar.gz")
        #expect(report.stages.first?.status == .failed)
        #expect(report.stages.first?.error?.contains("outside the folder") == true, "\(report.stages.first?.error ?? "")")
        let everything = FileManager.default.enumerator(atPath: f.sandbox.root)?.allObjects as? [String] ?? []
        #expect(!everything.contains { $0.hasSuffix("escaped.jsonl") }, "\(everything)")
        #expect(!f.hasOutput)
    }
}

/// Runs a Python snippet with arguments (archives are built with the standard library).
func python(_ script: String, _ arguments: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SystemError("python3 exited with \(process.terminationStatus)") }
}
