import Foundation
import Testing

/// `slmflow generate` on the tiny golden models (HF-style folders without a tokenizer).
@Suite struct GenerateCommandTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SLMModelsTests/Golden").path

    @Test func inputIDsGiveJSONIdsAndRepeatableSampling() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for model in ["mu", "baseline", "llama"] {
            let r = try CLI.run(["generate", Self.golden + "/" + model, "--input-ids", "5,17,42", "--max-new-tokens", "6", "--json"], in: root)
            #expect(r.status == 0, "\(model): \(r.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let ids = object?["ids"] as? [Int] ?? []
            #expect(!ids.isEmpty && ids.count <= 6, "\(model): \(r.stdout)")
            #expect(object?["text"] == nil)  // no tokenizer, no text
        }
        let sample = ["generate", Self.golden + "/mu", "--input-ids", "5, 17, 42", "--temperature", "1.2", "--top-k", "10", "--seed", "4"]
        let a = try CLI.run(sample, in: root), b = try CLI.run(sample, in: root)
        #expect(a.status == 0 && a.stdout == b.stdout && !a.stdout.isEmpty)
    }

    @Test func promptWithoutTokenizerAndBadIDsAreErrors() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let noTokenizer = try CLI.run(["generate", Self.golden + "/mu", "--prompt", "hello"], in: root)
        #expect(noTokenizer.status != 0 && noTokenizer.stderr.contains("tokenizer.json"), "\(noTokenizer.stderr)")
        let outside = try CLI.run(["generate", Self.golden + "/mu", "--input-ids", "5,64"], in: root)
        #expect(outside.status == 1 && outside.stderr.contains("outside the vocabulary"), "\(outside.stderr)")
        let garbage = try CLI.run(["generate", Self.golden + "/mu", "--input-ids", "5,x"], in: root)
        #expect(garbage.status != 0 && garbage.stderr.contains("'x' is not a token id"), "\(garbage.stderr)")
        let both = try CLI.run(["generate", Self.golden + "/mu", "--input-ids", "5", "--prompt", "a"], in: root)
        #expect(both.status != 0 && both.stderr.contains("exactly one"))
        let missing = try CLI.run(["generate", root + "/nothing", "--input-ids", "5"], in: root)
        #expect(missing.status == 1 && missing.stderr.contains("no config.json"))
    }
}
