import Testing

@testable import SLMText

/// Streaming pieces, joined, are the whole decode; no piece carries half a character.
@Suite struct StreamingDecoderTests {
    static let text = "naïve café — 日本語 🙂 e\u{301}tude, fin."

    static func stream(_ tokenizer: Tokenizer, _ ids: [Int32]) -> (pieces: [String], rest: String) {
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        let pieces = ids.map { decoder.push($0) }
        return (pieces, decoder.finish())
    }

    static func check(_ tokenizer: Tokenizer) throws {
        let ids = try tokenizer.encode(text)
        let (pieces, rest) = stream(tokenizer, ids)
        #expect(pieces.joined() + rest == tokenizer.decode(ids))
        #expect(!pieces.contains { $0.unicodeScalars.contains("\u{FFFD}") })
        // It streams: text comes out along the way, not only at the end.
        #expect(pieces.filter { !$0.isEmpty }.count >= ids.count / 3, "\(pieces)")
        // Byte tokens split the multi-byte characters, so some ids yield nothing by themselves.
        #expect(ids.count > text.unicodeScalars.count / 2)
    }

    @Test func byteLevelBPE() throws {
        try Self.check(try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-tokenizer.json")))
    }

    @Test func sentencePieceWithByteFallback() throws {
        guard let path = TestFixtures.phi35Path else {
            print("skipping the phi35 streaming test: ../shared/fixtures/phi35-tokenizer.json is absent")
            return
        }
        try Self.check(try Tokenizer.load(contentsOf: path))
    }

    @Test func anOutputEndingInsideACharacterIsFlushedAtTheEnd() throws {
        let tokenizer = try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-tokenizer.json"))
        let ids = try tokenizer.encode("🙂")
        try #require(ids.count > 1, "the emoji must take several byte tokens here")
        let (pieces, rest) = Self.stream(tokenizer, Array(ids.dropLast()))
        #expect(pieces.joined().isEmpty)
        #expect(rest == tokenizer.decode(Array(ids.dropLast())) && rest.hasSuffix("\u{FFFD}"))
    }

    /// A byte-fallback run that becomes invalid is rewritten to one U+FFFD per byte: "é" was
    /// already printed, so the stream cannot match the final decode there, but it goes on and
    /// prints everything after it.
    @Test func aRewrittenEndDoesNotStopTheStream() throws {
        let json = #"{"version": "1.0", "model": {"type": "BPE", "byte_fallback": true, "#
            + #""vocab": {"<0xC3>": 0, "<0xA9>": 1, "<0x80>": 2, "x": 3, "y": 4}, "merges": []}, "#
            + #""decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}}"#
        let tokenizer = try Tokenizer.load(json: json)
        #expect(tokenizer.decode([0, 1]) == "é")
        #expect(tokenizer.decode([0, 1, 2, 3]) == "\u{FFFD}\u{FFFD}\u{FFFD}x")
        let (pieces, rest) = Self.stream(tokenizer, [0, 1, 2, 3, 4])
        #expect(pieces == ["", "é", "", "\u{FFFD}\u{FFFD}x", "y"])
        #expect(rest.isEmpty)
    }
}
