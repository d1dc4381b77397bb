import Foundation
import SLMPipeline
import Testing

/// The command line as a user meets it: exit codes, JSON reports, located errors, dag.
@Suite struct CommandLineTests {
    static let demo = """
        slmflow: 1
        name: demo
        params: {n: 3, greeting: hello}
        stages:
          numbers:
            kind: command
            cmd: [sh, -c, "seq ${params.n} > numbers.txt"]
            outs: [numbers.txt]
          total:
            kind: command
            cmd: [sh, -c, "awk '{s+=$1} END {print s}' numbers.txt > total.txt"]
            deps: [numbers.txt]
            outs: [total.txt]
        """

    @Test func runStatusAndJSON() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.demo.write(toFile: root + "/demo.yaml", atomically: true, encoding: .utf8)

        let first = try CLI.run(["run", "demo.yaml", "--json"], in: root)
        #expect(first.status == 0)
        let report = try JSONDecoder().decode(RunReport.self, from: Data(first.stdout.utf8))
        #expect(report.pipeline == "demo")
        #expect(report.stages.map(\.status) == [.ran, .ran])
        #expect(try String(contentsOfFile: root + "/total.txt", encoding: .utf8) == "6\n")
        let object = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
        let stage = (object?["stages"] as? [[String: Any]])?.first
        for key in ["name", "status", "key", "seconds", "reasons"] { #expect(stage?[key] != nil, "missing \(key)") }

        let second = try CLI.run(["run", "demo.yaml"], in: root)
        #expect(second.status == 0)
        #expect(second.stderr.contains("nothing to do"))

        let status = try CLI.run(["status", "demo.yaml", "--set", "n=5"], in: root)
        #expect(status.stdout.contains("numbers  stale: param n: 3 → 5"))
        #expect(status.stdout.contains("total    stale: upstream 'numbers' will run"))

        let dry = try CLI.run(["run", "demo.yaml", "--set", "n=5", "--dry-run"], in: root)
        #expect(dry.stderr.contains("numbers would run — param n: 3 → 5"))
        #expect(try String(contentsOfFile: root + "/total.txt", encoding: .utf8) == "6\n", "a dry run changes nothing")

        let rerun = try CLI.run(["run", "demo.yaml", "--set", "n=5"], in: root)
        #expect(rerun.status == 0)
        #expect(try String(contentsOfFile: root + "/total.txt", encoding: .utf8) == "15\n")
    }

    @Test func invalidPipelineExitsTwoWithALocatedError() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "slmflow: 1\nstages:\n  a:\n    kind: command\n    cmd: [true]\n    otus: [x]\n".write(
            toFile: root + "/bad.yaml", atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", "bad.yaml"], in: root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yaml:6:5: error: unknown key 'otus' in stage 'a' (kind command) (did you mean 'outs'?)"))
        #expect(result.stderr.contains("        otus: [x]\n        ^"))
        let missing = try CLI.run(["run", "nothing.yaml"], in: root)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no pipeline file 'nothing.yaml'"))
    }

    @Test func failingStageExitsOneAndShowsTheLog() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try """
        slmflow: 1
        stages:
          broken:
            kind: command
            cmd: [sh, -c, "echo something went wrong >&2; exit 4"]
          missing:
            kind: command
            cmd: ["true"]
            outs: [never.txt]
        """.write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
        let result = try CLI.run(["run", "p.yaml"], in: root)
        #expect(result.status == 1)
        #expect(result.stderr.contains("command exited with status 4"))
        #expect(result.stderr.contains("log: cache/logs/p/broken.log"))
        #expect(result.stderr.contains("something went wrong"))
        #expect(result.stderr.contains("did not produce its declared output 'never.txt'"))
    }

    @Test func dagFormats() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.demo.write(toFile: root + "/demo.yaml", atomically: true, encoding: .utf8)
        let dot = try CLI.run(["dag", "demo.yaml", "--format", "dot"], in: root)
        #expect(dot.stdout.contains("\"numbers\" -> \"total\";"))
        let mermaid = try CLI.run(["dag", "demo.yaml", "--format", "mermaid"], in: root)
        #expect(mermaid.stdout.contains("s_numbers --> s_total"))
        let text = try CLI.run(["dag", "demo.yaml"], in: root)
        #expect(text.stdout.contains("total [command] ← numbers"))
    }

    @Test func cacheCommands() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.demo.write(toFile: root + "/demo.yaml", atomically: true, encoding: .utf8)
        try CLI.run(["run", "demo.yaml"], in: root)
        try CLI.run(["run", "demo.yaml", "--set", "n=4"], in: root)
        let usage = try CLI.run(["cache", "du", "--json"], in: root)
        let object = try JSONSerialization.jsonObject(with: Data(usage.stdout.utf8)) as? [String: Any]
        #expect(object?["run_records"] as? Int == 4)
        let verify = try CLI.run(["cache", "verify"], in: root)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("0 corrupt"))
        let gc = try CLI.run(["cache", "gc", "--keep-only", "demo.yaml", "--json"], in: root)
        let collected = try JSONSerialization.jsonObject(with: Data(gc.stdout.utf8)) as? [String: Any]
        #expect(collected?["removed_run_records"] as? Int == 2, "\(gc.stderr)")
        // What the pipeline uses now is still restorable.
        try FileManager.default.removeItem(atPath: root + "/total.txt")
        let restored = try CLI.run(["run", "demo.yaml", "--set", "n=4", "--json"], in: root)
        let report = try JSONDecoder().decode(RunReport.self, from: Data(restored.stdout.utf8))
        #expect(report.stages.last?.detail == "restored")
        #expect(try String(contentsOfFile: root + "/total.txt", encoding: .utf8) == "10\n")
    }
}
