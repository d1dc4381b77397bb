import Foundation
import Testing

@Suite struct TokenizeCommandTests {
    static var byteLevelFixture: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SLMTextTests/Fixtures/bytelevel-tokenizer.json").path
    }

    @Test func encodesFilesLineByLineAndDecodes() throws {
        let folder = try CLI.temporaryWorkspace()
        try "hello world\n\nsecond line<|endoftext|>\n".write(toFile: folder + "/lines.txt", atomically: true, encoding: .utf8)
        let encoded = try CLI.run(["tokenize", "encode", "--tokenizer", Self.byteLevelFixture, "--file", "lines.txt", "--no-special"], in: folder)
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let lines = encoded.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 3, "one JSON object per input line, the empty one included")
        #expect(lines[1] == "{\"ids\": []}")
        #expect(lines[2].hasSuffix(", 0]}"), "the special token keeps its id 0")

        let single = try CLI.run(["tokenize", "encode", "--tokenizer", Self.byteLevelFixture, "--text", "hello world", "--json"], in: folder)
        let object = try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: [Int]]
        let ids = try #require(object?["ids"])
        #expect(ids.first == 1, "the template adds <|bos|> (id 1)")
        let decoded = try CLI.run(["tokenize", "decode", "--tokenizer", Self.byteLevelFixture, "--ids", ids.map(String.init).joined(separator: ",")], in: folder)
        #expect(decoded.stdout == "hello world\n")
    }

    @Test func trainsATokenizerTheEncoderLoads() throws {
        let folder = try CLI.temporaryWorkspace()
        try String(repeating: "the cat sat on the mat\n", count: 50).write(toFile: folder + "/corpus.txt", atomically: true, encoding: .utf8)
        let trained = try CLI.run(["tokenize", "train", "corpus.txt", "--vocab-size", "270", "--special-token", "<eos>", "-o", "tok.json"], in: folder)
        #expect(trained.status == 0, "\(trained.stderr)")
        let encoded = try CLI.run(["tokenize", "encode", "--tokenizer", "tok.json", "--text", "the cat<eos>"], in: folder)
        #expect(encoded.stdout.hasSuffix(" 0\n"))
        #expect(encoded.stdout.split(separator: " ").count <= 3)
    }

    @Test func badInputIsAClearError() throws {
        let folder = try CLI.temporaryWorkspace()
        let missing = try CLI.run(["tokenize", "encode", "--tokenizer", "nope.json", "--text", "x"], in: folder)
        #expect(missing.status != 0 && missing.stderr.contains("nope.json"))
        let both = try CLI.run(["tokenize", "encode", "--tokenizer", Self.byteLevelFixture, "--text", "x", "--file", "y"], in: folder)
        #expect(both.status != 0 && both.stderr.contains("exactly one"))
    }
}
