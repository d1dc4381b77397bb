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

    /// A checkpoint file runs like its folder: a bare model.safetensors with --config gives the
    /// same ids; a file of no known format is an error naming it.
    @Test func checkpointFilesRunThroughTheImporters() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = Self.golden + "/mu"
        let args = ["--input-ids", "5,17,42", "--max-new-tokens", "6", "--json"]
        let fromFolder = try CLI.run(["generate", folder] + args, in: root)
        let fromFile = try CLI.run(["generate", folder + "/model.safetensors", "--config", folder + "/config.json"] + args, in: root)
        #expect(fromFolder.status == 0 && fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout == fromFolder.stdout && !fromFile.stdout.isEmpty)
        let bare = try CLI.run(["generate", folder + "/model.safetensors"] + args, in: root)
        #expect(bare.status != 0 && bare.stderr.contains("no model config") && bare.stderr.contains("--config"), "\(bare.stderr)")
        let misplaced = try CLI.run(["generate", folder, "--config", folder + "/config.json"] + args, in: root)
        #expect(misplaced.status != 0 && misplaced.stderr.contains("--config is for a checkpoint file"), "\(misplaced.stderr)")
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: root + "/weights.bin2"))
        let bad = try CLI.run(["generate", root + "/weights.bin2"] + args, in: root)
        #expect(bad.status != 0 && bad.stderr.contains("reading the checkpoint") && bad.stderr.contains("weights.bin2"), "\(bad.stderr)")
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

    /// A tokenizer small enough for the golden Mu's 64-token vocabulary: letters, no merges.
    static func tinyTokenizer() -> String {
        let specials = ["<pad>", "<s>", "</s>", "<unk>"]
        let letters = (UnicodeScalar("a").value...UnicodeScalar("z").value).map { String(UnicodeScalar($0)!) }
        let vocab = (specials + letters + ["?", "."]).enumerated().map { "\"\($0.element)\": \($0.offset)" }.joined(separator: ", ")
        let added = specials.enumerated().map {
            #"{"id": \#($0.offset), "content": "\#($0.element)", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
        }.joined(separator: ", ")
        return """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [\(added)],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
             "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                       "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "vocab": {\(vocab)}, "merges": []}}
            """
    }

    @Test func promptIsTokenizedAndTheOutputDecoded() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = root + "/mu"
        try FileManager.default.copyItem(atPath: Self.golden + "/mu", toPath: model)
        try Self.tinyTokenizer().write(toFile: model + "/tokenizer.json", atomically: true, encoding: .utf8)

        // "cab" → c, a, b → ids 6, 4, 5 (letters start at 4); both inputs must generate the same.
        let fromText = try CLI.run(["generate", model, "--prompt", "cab", "--max-new-tokens", "5", "--json"], in: root)
        let fromIDs = try CLI.run(["generate", model, "--input-ids", "6,4,5", "--max-new-tokens", "5", "--json"], in: root)
        #expect(fromText.status == 0, "\(fromText.stderr)")
        let text = try JSONSerialization.jsonObject(with: Data(fromText.stdout.utf8)) as? [String: Any]
        let ids = try JSONSerialization.jsonObject(with: Data(fromIDs.stdout.utf8)) as? [String: Any]
        #expect(text?["ids"] as? [Int] == ids?["ids"] as? [Int])
        #expect(text?["text"] is String)
        // Without --json the text is streamed: the same text, then a newline.
        let streamed = try CLI.run(["generate", model, "--prompt", "cab", "--max-new-tokens", "5"], in: root)
        #expect(streamed.stdout == (text?["text"] as? String ?? "?") + "\n")
        let idsStreamed = try CLI.run(["generate", Self.golden + "/mu", "--input-ids", "6,4,5", "--max-new-tokens", "5"], in: root)
        #expect(idsStreamed.stdout == (ids?["ids"] as? [Int] ?? []).map(String.init).joined(separator: " ") + "\n")
        // Nucleus sampling: seeded, and its bounds checked.
        let nucleus = ["generate", model, "--prompt", "cab", "--temperature", "1", "--top-p", "0.9", "--seed", "5", "--json"]
        let n1 = try CLI.run(nucleus, in: root), n2 = try CLI.run(nucleus, in: root)
        #expect(n1.status == 0 && n1.stdout == n2.stdout, "\(n1.stderr)")
        let withStats = try CLI.run(["generate", model, "--prompt", "cab", "--max-new-tokens", "5", "--stats"], in: root)
        #expect(withStats.stdout == streamed.stdout)
        #expect(withStats.stderr.contains("3 input tokens, ") && withStats.stderr.contains("first token ")
                && withStats.stderr.contains("peak memory "), "\(withStats.stderr)")
        let badP = try CLI.run(["generate", model, "--prompt", "cab", "--top-p", "1.5"], in: root)
        #expect(badP.status != 0 && badP.stderr.contains("--top-p must be in (0, 1]"))
        let badPenalty = try CLI.run(["generate", model, "--prompt", "cab", "--repetition-penalty", "0"], in: root)
        #expect(badPenalty.status != 0 && badPenalty.stderr.contains("--repetition-penalty must be > 0"))

        let qa = try CLI.run(["generate", model, "--prompt", "who?", "--context", "a cat.", "--max-new-tokens", "3"], in: root)
        #expect(qa.status == 0, "\(qa.stderr)")
        let contextOnly = try CLI.run(["generate", model, "--input-ids", "5", "--context", "a cat."], in: root)
        #expect(contextOnly.status != 0 && contextOnly.stderr.contains("--context and --template need --prompt"))

        // --template replaces the seed's: its rendering is the input, exactly.
        let templated = try CLI.run(["generate", model, "--template", "{question} {context}", "--prompt", "cab", "--context", "ba",
                                     "--max-new-tokens", "4", "--json"], in: root)
        let spelled = try CLI.run(["generate", model, "--prompt", "cab ba", "--max-new-tokens", "4", "--json"], in: root)
        #expect(templated.status == 0, "\(templated.stderr)")
        #expect(!templated.stdout.isEmpty && templated.stdout == spelled.stdout)
        let noQuestion = try CLI.run(["generate", model, "--template", "{context} only", "--prompt", "x", "--context", "y"], in: root)
        #expect(noQuestion.status != 0 && noQuestion.stderr.contains("{question}"), "\(noQuestion.stderr)")
    }
}

/// `slmflow generate NAME` runs a zoo model as it runs the folder it was imported from.
@Suite struct GenerateFromZooTests {
    @Test func aModelImportedIntoTheZooGeneratesByNameAsTheFolderDoes() throws {
        let root = try CLI.temporaryWorkspace()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = root + "/mu"
        try FileManager.default.copyItem(atPath: GenerateCommandTests.golden + "/mu", toPath: model)
        try GenerateCommandTests.tinyTokenizer().write(toFile: model + "/tokenizer.json", atomically: true, encoding: .utf8)
        let imported = try CLI.run(["zoo", "import", "mu", "--name", "tiny/mu:v1"], in: root)
        #expect(imported.status == 0, "\(imported.stderr)")
        let shown = try CLI.run(["zoo", "show", "tiny/mu:v1", "--json"], in: root)
        let digest = (try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])?["digest"] as? String ?? ""
        #expect(digest.count == 64, "\(shown.stdout)")

        let sampling = ["--temperature", "0.8", "--top-k", "20", "--seed", "3", "--max-new-tokens", "8", "--json"]
        let fromFolder = try CLI.run(["generate", "mu", "--prompt", "who?", "--context", "a cat."] + sampling, in: root)
        #expect(fromFolder.status == 0, "\(fromFolder.stderr)")
        for name in ["tiny/mu:v1", "tiny/mu@sha256:" + digest.prefix(12)] {
            let fromZoo = try CLI.run(["generate", name, "--prompt", "who?", "--context", "a cat."] + sampling, in: root)
            #expect(fromZoo.status == 0, "\(name): \(fromZoo.stderr)")
            #expect(fromZoo.stdout == fromFolder.stdout, "\(name)")
        }
        // The folder is not touched, and the temporary export is gone.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("slmflow-model-") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        let unknown = try CLI.run(["generate", "tiny/mux", "--input-ids", "5"], in: root)
        #expect(unknown.status != 0 && unknown.stderr.contains("neither a model folder nor a model of the zoo"), "\(unknown.stderr)")
    }
}
