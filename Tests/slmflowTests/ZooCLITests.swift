import Foundation
import SLMCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `slmflow zoo …` as a user runs it.
@Suite(.serialized) struct ZooCLITests {
    static let seedCheckpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SLMZooTests/Fixtures/seed_tiny.pt").path

    func zoo(_ arguments: [String], in root: String) throws -> CLI.Result {
        try CLI.run(["zoo"] + arguments + ["--workspace", root + "/ws"], in: root)
    }

    @Test func importInspectExportLineageAndMaintenance() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let imported = try zoo(["import", Self.seedCheckpoint, "--name", "seed:base", "--metric", "val_loss=2.5"], in: root)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported seed:base"))

        let list = try zoo(["list", "--json"], in: root)
        let rows = try JSONDecoder().decode([[String: JSONValue]].self, from: Data(list.stdout.utf8))
        #expect(rows.count == 1 && rows.first?["architecture"] == "mu")

        let exported = try zoo(["export", "seed:base", "--format", "hf", root + "/out"], in: root)
        #expect(exported.status == 0, "\(exported.stderr)")
        let child = try zoo(["import", root + "/out", "--name", "student", "--lineage", "init=seed:base", "--lineage", "data=tinystories"], in: root)
        #expect(child.status == 0, "\(child.stderr)")

        let show = try zoo(["show", "student", "--json"], in: root)
        let manifest = try JSONDecoder().decode([String: JSONValue].self, from: Data(show.stdout.utf8))
        let base = try JSONDecoder().decode([String: JSONValue].self, from: Data(try zoo(["show", "seed:base", "--json"], in: root).stdout.utf8))
        #expect(manifest["digest"] == base["digest"], "export + import keeps the digest")
        #expect(manifest["lineage"]?.arrayValue?.first?.objectValue?["relation"] == "init")

        let tree = try zoo(["lineage", "student"], in: root)
        #expect(tree.stdout.contains("init: seed:base") && tree.stdout.contains("data: tinystories"), "\(tree.stdout)")
        let descendants = try zoo(["lineage", "seed:base", "--descendants", "--format", "json"], in: root)
        let graph = try JSONDecoder().decode(JSONValue.self, from: Data(descendants.stdout.utf8))
        #expect(graph.objectValue?["children"]?.arrayValue?.first?.objectValue?["model"] == "student:latest")
        #expect(try zoo(["lineage", "student", "--format", "dot"], in: root).stdout.contains("digraph"))
        #expect(try zoo(["lineage", "student", "--format", "mermaid"], in: root).stdout.contains("-->|init|"))

        let diff = try zoo(["diff", "seed:base", "student"], in: root)
        #expect(diff.stdout.contains("same content digest") && diff.stdout.contains("val_loss"), "\(diff.stdout)")

        #expect(try zoo(["tag", "student", "student:v1"], in: root).status == 0)
        #expect(try zoo(["rm", "student"], in: root).status == 0)
        let gc = try zoo(["gc"], in: root)
        #expect(gc.stdout.contains("removed 0 blobs"), "every blob is still used by seed:base and student:v1: \(gc.stdout)")
        #expect(try zoo(["verify"], in: root).status == 0)

        let missing = try zoo(["show", "studnet"], in: root)
        #expect(missing.status != 0 && missing.stderr.contains("student:v1"), "suggests a near name: \(missing.stderr)")
        let evil = try zoo(["import", URL(fileURLWithPath: Self.seedCheckpoint).deletingLastPathComponent().path + "/evil_system.pt"], in: root)
        #expect(evil.status != 0 && evil.stderr.contains("allow-list"))
    }

    /// Many tensors of a few MB in a safetensors file, so an import takes a moment.
    static func writeLargeSafetensors(_ path: String, salt: UInt32) throws {
        var header: [String] = []
        var data = [UInt8]()
        var state = salt &+ 1
        for index in 0..<12 {
            let count = 256 * 1024
            header.append("\"t\(index)\":{\"dtype\":\"F32\",\"shape\":[\(count)],\"data_offsets\":[\(data.count),\(data.count + 4 * count)]}")
            for _ in 0..<count {
                state = state &* 1_664_525 &+ 1_013_904_223
                let value = Float(Int32(bitPattern: state) >> 8) * 1e-9
                withUnsafeBytes(of: value) { data += $0 }
            }
        }
        let text = Array("{\(header.joined(separator: ","))}".utf8)
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes += $0 }
        try Data(bytes + text + data).write(to: URL(fileURLWithPath: path))
    }

    @Test func killDashNineDuringImportLeavesNoHalfWrittenModel() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var generator = SystemRandomNumberGenerator()
        for iteration in 0..<6 {
            let file = root + "/big\(iteration % 2).safetensors"
            if !FileManager.default.fileExists(atPath: file) { try Self.writeLargeSafetensors(file, salt: UInt32(iteration % 2)) }
            let (process, _, _) = try CLI.start(["zoo", "import", file, "--name", "big:\(iteration)", "--workspace", root + "/ws"], in: root)
            usleep(UInt32.random(in: 20_000...900_000, using: &generator))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let list = try zoo(["list", "--json"], in: root)
            #expect(list.status == 0 && !list.stderr.contains("warning"), "iteration \(iteration): \(list.stderr)")
            let rows = try JSONDecoder().decode([[String: JSONValue]].self, from: Data(list.stdout.utf8))
            let verify = try zoo(["verify"], in: root)
            #expect(verify.status == 0, "iteration \(iteration): every visible model is complete: \(verify.stdout)")
            if process.terminationReason == .exit {
                #expect(process.terminationStatus == 0 && rows.contains { $0["tag"] == .string("\(iteration)") },
                        "iteration \(iteration): a finished import is listed")
            }
            for row in rows {
                guard let tag = row["tag"]?.stringValue else { continue }
                let shown = try zoo(["show", "big:" + tag, "--json"], in: root)
                let manifest = try JSONDecoder().decode([String: JSONValue].self, from: Data(shown.stdout.utf8))
                #expect(manifest["tensors"]?.arrayValue?.count == 12, "iteration \(iteration): big:\(tag) is complete")
            }
        }
        let gc = try zoo(["gc"], in: root)
        #expect(gc.status == 0)
        #expect(try zoo(["verify"], in: root).status == 0)
    }
}
