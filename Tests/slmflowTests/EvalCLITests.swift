import Foundation
import SLMCore
import Testing

/// `slmflow eval score` as a user runs it.
@Suite struct EvalCLITests {
    @Test func scoresRougeAsTextAndJSONAndReportsBadInput() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "the cat sat on the mat\npolice kill the gunman\n".write(toFile: root + "/refs.txt", atomically: true, encoding: .utf8)
        try "the cat sat on the mat\npolice killed the gunman\n".write(toFile: root + "/preds.txt", atomically: true, encoding: .utf8)

        let text = try CLI.run(["eval", "score", "--task", "rouge", "--predictions", "preds.txt", "--references", "refs.txt"], in: root)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("rouge (2 examples)"))
        #expect(text.stdout.contains("rouge1"))

        let json = try CLI.run(["eval", "score", "--task", "rouge", "--predictions", "preds.txt", "--references", "refs.txt", "--json"], in: root)
        #expect(json.status == 0, "\(json.stderr)")
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        // (1 + 0.75) / 2 for ROUGE-1: "killed" ≠ "kill" without stemming.
        let rouge1 = try #require(value.objectValue?["metrics"]?.objectValue?["rouge1"]?.doubleValue)
        #expect(abs(rouge1 - 0.875) < 1e-12)
        #expect(value.objectValue?["count"] == .int(2))

        try "one line\n".write(toFile: root + "/short.txt", atomically: true, encoding: .utf8)
        let mismatch = try CLI.run(["eval", "score", "--task", "bleu", "--predictions", "short.txt", "--references", "refs.txt"], in: root)
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("1 prediction(s) but 2 reference record(s)"))
    }
}
