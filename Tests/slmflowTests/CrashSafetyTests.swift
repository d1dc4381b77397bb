import Foundation
import SLMCore
import SLMPipeline
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// "Must show" 7 and 8: kill -9 at random moments, and two processes at once.
@Suite(.serialized) struct CrashSafetyTests {
    /// Stages that write a few MB each (so blobs take a while to store) and a folder out.
    static func pipeline(salt: Int) -> String {
        var yaml = "slmflow: 1\nname: crash\nparams: {salt: \(salt)}\nstages:\n"
        for index in 0..<4 {
            yaml += """
                  gen\(index):
                    kind: command
                    cmd: [sh, -c, "seq 1 600000 | sed 's/^/\(index)-${params.salt}-/' > data/\(index).txt"]
                    outs: [data/\(index).txt]

                """
        }
        yaml += """
              tree:
                kind: command
                cmd: [sh, -c, "mkdir -p tree/sub && seq 1 120000 > tree/a && seq 5 90000 > tree/sub/b && echo ${params.salt} > tree/c"]
                outs: [tree]
              join:
                kind: command
                cmd: [sh, -c, "cat data/0.txt data/1.txt data/2.txt data/3.txt tree/a tree/sub/b | wc -l > count.txt"]
                deps: [data/0.txt, data/1.txt, data/2.txt, data/3.txt, tree]
                outs: [count.txt]

            """
        return yaml
    }

    func checkNothingPartialIsVisible(_ root: String, iteration: Int) throws {
        let workspace = Workspace(root: root)
        let report = CacheMaintenance(workspace: workspace).verify()
        #expect(report.corrupt.isEmpty, "iteration \(iteration): corrupt blobs \(report.corrupt)")
        #expect(report.incompleteRuns.isEmpty, "iteration \(iteration): run records without their blobs")
        for key in workspace.runCache.allKeys() {
            #expect(workspace.runCache.record(for: key) != nil, "iteration \(iteration): unreadable run record \(key.short)")
        }
        let statePath = root + "/p.lock"
        if FileManager.default.fileExists(atPath: statePath) {
            #expect(throws: Never.self, "iteration \(iteration): unreadable state file") {
                _ = try PipelineState.load(statePath, pipeline: "crash")
            }
        }
    }

    @Test func killDashNineAtRandomMomentsLosesNothing() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var generator = SystemRandomNumberGenerator()
        for iteration in 0..<16 {
            try Self.pipeline(salt: iteration % 3).write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
            let (process, _, _) = try CLI.start(["run", "p.yaml", "-j", "2"], in: root)
            usleep(UInt32.random(in: 0...800_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try checkNothingPartialIsVisible(root, iteration: iteration)
        }
        for salt in 0..<3 {
            try Self.pipeline(salt: salt).write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
            let finished = try CLI.run(["run", "p.yaml"], in: root)
            #expect(finished.status == 0, "\(finished.stderr)")
            let count = try String(contentsOfFile: root + "/count.txt", encoding: .utf8)
            #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "\(4 * 600000 + 120000 + 89996)")
            let salted = try String(contentsOfFile: root + "/data/2.txt", encoding: .utf8)
            #expect(salted.hasPrefix("2-\(salt)-1\n"))
            #expect(try String(contentsOfFile: root + "/tree/c", encoding: .utf8) == "\(salt)\n")
            let again = try CLI.run(["run", "p.yaml", "--json"], in: root)
            let report = try JSONDecoder().decode(RunReport.self, from: Data(again.stdout.utf8))
            #expect(report.stages.allSatisfy { $0.status == .cached }, "\(again.stderr)")
        }
        try checkNothingPartialIsVisible(root, iteration: -1)
    }

    @Test func secondProcessOnTheSamePipelineWaitsAndRunsNothingTwice() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try """
        slmflow: 1
        stages:
          slow:
            kind: command
            cmd: [sh, -c, "echo run >> executions.log; sleep 1.5; echo done > slow.txt"]
            outs: [slow.txt]
        """.write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
        let (first, _, _) = try CLI.start(["run", "p.yaml"], in: root)
        // Wait until the first process has started the stage (and so holds the lock).
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: root + "/executions.log") { usleep(50_000) }

        let refused = try CLI.run(["run", "p.yaml", "--no-wait"], in: root)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("is being run by pid \(first.processIdentifier)"))

        let second = try CLI.run(["run", "p.yaml", "--json"], in: root)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.status == 0)
        #expect(second.stderr.contains("waiting: p.yaml is being run by pid \(first.processIdentifier)"))
        let report = try JSONDecoder().decode(RunReport.self, from: Data(second.stdout.utf8))
        #expect(report.stages.first?.status == .cached)
        let executions = try String(contentsOfFile: root + "/executions.log", encoding: .utf8)
        #expect(executions == "run\n", "the stage ran exactly once")
    }

    @Test func independentPipelinesSharingTheCacheRunAtTheSameTime() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Each stage waits (up to 10 s) for the other pipeline's stage to have started:
        // if the two runs were serialised, the first would give up and fail.
        for (me, other) in [("one", "two"), ("two", "one")] {
            try """
            slmflow: 1
            name: \(me)
            stages:
              meet:
                kind: command
                cmd: [sh, -c, "touch started-\(me); for i in $(seq 100); do [ -e started-\(other) ] && break; sleep 0.1; done; [ -e started-\(other) ] && echo met > \(me).txt"]
                outs: [\(me).txt]
            """.write(toFile: root + "/\(me).yaml", atomically: true, encoding: .utf8)
        }
        let (one, _, oneErr) = try CLI.start(["run", "one.yaml"], in: root)
        let two = try CLI.run(["run", "two.yaml"], in: root)
        one.waitUntilExit()
        let oneStderr = String(decoding: oneErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(one.terminationStatus == 0, "\(oneStderr)")
        #expect(two.status == 0, "\(two.stderr)")
        let verify = CacheMaintenance(workspace: Workspace(root: root)).verify()
        #expect(verify.corrupt.isEmpty)
        #expect(Workspace(root: root).runCache.allKeys().count == 2)
    }
}
