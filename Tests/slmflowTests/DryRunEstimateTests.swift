import Foundation
import Testing

/// `run --dry-run` and `status` show estimates for the model stages that would run, and none
/// for kinds that give none.
@Suite struct DryRunEstimateTests {
    @Test func modelStagesGetAnEstimateTableAndJSON() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try """
            slmflow: 1
            stages:
              qa: {kind: synth-qa, records: 40}
              tok: {kind: tokenize, data: qa, vocab_size: 400, max_source_length: 64, max_target_length: 8}
              mu: {kind: train, architecture: mu, data: tok, steps: 20, batch_size: 4}
            """.write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
        let dry = try CLI.run(["run", "p.yaml", "--dry-run"], in: root)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stderr.contains("estimates for the stages that would run"), "\(dry.stderr)")
        #expect(dry.stderr.contains("sgemm") && dry.stderr.contains("peak memory"))
        let row = dry.stderr.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("mu ") }
        #expect(row != nil, "no row for mu: \(dry.stderr)")

        let json = try CLI.run(["run", "p.yaml", "--dry-run", "--json"], in: root)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let stages = object?["stages"] as? [[String: Any]] ?? []
        let mu = stages.first { $0["name"] as? String == "mu" }?["estimate"] as? [String: Any]
        #expect((mu?["parameter_count"] as? Int ?? 0) > 0, "\(json.stdout)")
        #expect((mu?["flops"] as? Double ?? 0) > 0 && (mu?["seconds"] as? Double ?? 0) > 0)
        #expect(stages.first { $0["name"] as? String == "qa" }?["estimate"] == nil)
        #expect((object?["machine"] as? [String: Any])?["sgemm_gflop_per_s"] is Double)

        let status = try CLI.run(["status", "p.yaml"], in: root)
        #expect(status.stdout.contains("estimates for the stages that would run"), "\(status.stdout)")
    }

    @Test func aPipelineOfCommandsPrintsNoEstimates() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try """
            slmflow: 1
            stages:
              hello: {kind: command, cmd: [sh, -c, "echo hi > hi.txt"], outs: [hi.txt]}
            """.write(toFile: root + "/p.yaml", atomically: true, encoding: .utf8)
        let dry = try CLI.run(["run", "p.yaml", "--dry-run", "--json"], in: root)
        #expect(dry.status == 0 && dry.stderr.contains("would run"), "\(dry.stderr)")
        #expect(!dry.stderr.contains("estimates"))
        #expect(!dry.stdout.contains("\"estimate\"") && !dry.stdout.contains("\"machine\""), "\(dry.stdout)")
    }
}
