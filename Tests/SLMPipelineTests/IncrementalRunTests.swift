import Foundation
import SLMCore
import Testing

@testable import SLMPipeline

/// The issue's "Must show" 1–6 and 9, with a fake kind that counts its runs.
@Suite struct IncrementalRunTests {
    static let chain = """
        slmflow: 1
        name: chain
        params: {a: 1, b: 2, c: 3}
        stages:
          first:
            kind: count
            value: ${params.a}
          second:
            kind: count
            value: ${params.b}
            from: [first]
          third:
            kind: count
            value: ${params.c}
            from: [second]
          side:
            kind: count
            value: side
        """

    /// A kind's fixed outputs live under out/<pipeline>/<stage>/, which the key does not
    /// include: a copy of a pipeline under another name restores its source stages' results
    /// into its own paths, and its downstream stages find them there (they run: the key
    /// includes input paths, and these moved).
    @Test func aRenamedCopyOfAPipelineRestoresIntoItsOwnPaths() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()
        try sandbox.write(Self.chain.replacingOccurrences(of: "name: chain", with: "name: copy"), to: "copy.yaml")
        let copy = try Runner(pipeline: try sandbox.load(file: "copy.yaml"), workspace: sandbox.workspace, options: RunOptions(),
                              observer: nil).run()
        #expect(copy.succeeded, "\(copy.stages.map { "\($0.name) \($0.status) \($0.detail ?? "")" })")
        #expect(copy.stage("first")?.detail == "restored" && copy.stage("side")?.detail == "restored")
        #expect(sandbox.read("out/copy/first/out") != nil && sandbox.read("out/copy/first/out") == sandbox.read("out/chain/first/out"))
        #expect(sandbox.read("out/copy/third/out") == sandbox.read("out/chain/third/out"))
        #expect(sandbox.kind.runs("first") == 1)
    }

    @Test func secondRunOfUnchangedPipelineRunsNothing() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        let first = try sandbox.run()
        #expect(first.ran == ["first", "second", "third", "side"])
        let second = try sandbox.run()
        #expect(second.ran.isEmpty)
        #expect(second.stages.allSatisfy { $0.status == .cached && $0.detail == "up to date" })
        #expect(sandbox.kind.totalRuns == 4)
    }

    @Test func changingAParamRerunsItsStageAndDependentsAndSaysWhy() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()

        var options = RunOptions()
        options.dryRun = true
        let plan = try Runner(pipeline: try sandbox.load([("b", "20")]), workspace: sandbox.workspace, options: options, observer: nil).run()
        #expect(plan.status("first") == .cached)
        #expect(plan.status("second") == .wouldRun)
        #expect(plan.stage("second")?.reasons == ["param b: 2 → 20"])
        #expect(plan.status("third") == .wouldRun)
        #expect(plan.status("side") == .cached)
        #expect(sandbox.kind.totalRuns == 4, "a dry run runs nothing")

        // A stage whose upstream will run still says what changed in its own definition.
        let both = try Runner(pipeline: try sandbox.load([("a", "10"), ("c", "30")]), workspace: sandbox.workspace, options: options,
                              observer: nil).run()
        #expect(both.stage("third")?.reasons == ["param c: 3 → 30", "upstream 'second' will run"])
        #expect(both.stage("second")?.reasons == ["upstream 'first' will run"])

        let report = try sandbox.run([("b", "20")])
        #expect(report.ran == ["second", "third"])
        #expect(report.stage("second")?.reasons == ["param b: 2 → 20"])
        #expect(report.stage("third")?.reasons == ["input out/chain/second/out changed"])
        #expect(sandbox.read("out/chain/second/out") == "value=20\nvalue=1\n")
    }

    @Test func identicalOutputsStopTheRerun() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write("""
            slmflow: 1
            params: {seed: 1}
            stages:
              source:
                kind: count
                value: ${params.seed}
              stable:
                kind: count
                constant: true
                value: same
                from: [source]
              downstream:
                kind: count
                from: [stable]
            """)
        try sandbox.run()
        let report = try sandbox.run([("seed", "2")])
        #expect(report.ran == ["source", "stable"])
        #expect(report.status("downstream") == .cached)
        #expect(sandbox.kind.runs("downstream") == 1)
    }

    @Test func revertingRestoresFromTheRunCacheWithoutRunning() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()
        try sandbox.run([("a", "5")])
        let runsBefore = sandbox.kind.totalRuns
        let report = try sandbox.run()
        #expect(sandbox.kind.totalRuns == runsBefore)
        #expect(report.stage("first")?.detail == "restored")
        #expect(report.stage("first")?.reasons == ["param a: 5 → 1"])
        #expect(report.stage("third")?.detail == "restored")
        #expect(sandbox.read("out/chain/first/out") == "value=1\n")
        #expect(sandbox.read("out/chain/third/out") == "value=3\nvalue=2\nvalue=1\n")
    }

    @Test func deletingTheCacheLosesNothingButTime() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()
        try FileManager.default.removeItem(atPath: sandbox.root + "/cache")
        let report = try sandbox.run()
        #expect(report.ran.isEmpty, "outputs in the workspace are still up to date")
        #expect(sandbox.kind.totalRuns == 4)
        // The up-to-date stages were put back into the cache, so a deleted out restores.
        try FileManager.default.removeItem(atPath: sandbox.root + "/out/chain/second/out")
        let restored = try sandbox.run()
        #expect(restored.ran.isEmpty)
        #expect(restored.stage("second")?.detail == "restored")
        #expect(restored.stage("second")?.reasons == ["output out/chain/second/out missing"])
        #expect(sandbox.read("out/chain/second/out") == "value=2\nvalue=1\n")
    }

    @Test func deletedOrEditedOutIsRestoredFromCache() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()
        try "tampered".write(toFile: sandbox.root + "/out/chain/first/out", atomically: true, encoding: .utf8)
        let report = try sandbox.run()
        #expect(report.ran.isEmpty)
        #expect(report.stage("first")?.reasons == ["output out/chain/first/out modified"])
        #expect(sandbox.read("out/chain/first/out") == "value=1\n")
    }

    @Test func failureSkipsDependentsFinishesOthersAndIsRetried() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let yaml = { (fail: Bool) in
            """
            slmflow: 1
            stages:
              ok:
                kind: count
                value: 1
              broken:
                kind: count
                fail: \(fail)
              after:
                kind: count
                from: [broken]
              independent:
                kind: count
                from: [ok]
            """
        }
        try sandbox.write(yaml(true))
        let failed = try sandbox.run()
        #expect(!failed.succeeded)
        #expect(failed.status("broken") == .failed)
        #expect(failed.stage("broken")?.error?.contains("asked to fail") == true)
        #expect(failed.stage("broken")?.log != nil)
        #expect(failed.status("after") == .skipped)
        #expect(failed.stage("after")?.reasons == ["upstream 'broken' failed"])
        #expect(failed.status("ok") == .ran)
        #expect(failed.status("independent") == .ran)

        try sandbox.write(yaml(false))
        let retried = try sandbox.run()
        #expect(retried.ran == ["broken", "after"])
        #expect(sandbox.kind.runs("ok") == 1)
    }

    @Test func corruptBlobIsDetectedAndTheStageReruns() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        try sandbox.run()
        try sandbox.run([("a", "7")])
        // Flip a byte in the blob of the first stage's output for a=1.
        let blobs = sandbox.workspace.blobs
        let digest = SHA256.hash(Array("value=1\n".utf8))
        let stored = try #require(blobs.location(of: digest))
        var bytes = try #require(FileManager.default.contents(atPath: stored.path))
        bytes[0] ^= 0x01
        try FileManager.default.removeItem(atPath: stored.path)
        _ = FileManager.default.createFile(atPath: stored.path, contents: bytes)

        let verify = CacheMaintenance(workspace: sandbox.workspace).verify()
        #expect(verify.corrupt == [digest.hex])
        #expect(!blobs.contains(digest), "verify removes a corrupt blob")

        _ = FileManager.default.createFile(atPath: stored.path, contents: bytes)
        let report = try sandbox.run()  // back to a=1: its cached copy is corrupt
        #expect(report.status("first") == .ran)
        #expect(report.stage("first")?.reasons.contains("cached copy was corrupt") == true)
        #expect(sandbox.read("out/chain/first/out") == "value=1\n")
    }

    @Test func forceAndUntil() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write(Self.chain)
        let partial = try sandbox.run { $0.until = "second" }
        #expect(partial.ran == ["first", "second"])
        #expect(partial.status("third") == .skipped)
        let forced = try sandbox.run { $0.force = ["first"] }
        #expect(forced.ran == ["first", "third", "side"])
        #expect(forced.stage("first")?.reasons == ["forced (--force first)"])
        #expect(forced.status("second") == .cached, "same output: early cutoff")
    }

    @Test func parallelStagesAllRun() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        var yaml = "slmflow: 1\nstages:\n"
        for index in 0..<12 { yaml += "  s\(index):\n    kind: count\n    value: \(index)\n" }
        yaml += "  join:\n    kind: count\n    from: [" + (0..<12).map { "s\($0)" }.joined(separator: ", ") + "]\n"
        try sandbox.write(yaml)
        let report = try sandbox.run { $0.jobs = 4 }
        #expect(report.ran.count == 13)
        #expect(sandbox.read("out/p/join/out")?.contains("value=11") == true)
    }
}
