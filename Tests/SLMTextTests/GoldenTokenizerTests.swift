import Foundation
import Testing

@testable import SLMText

/// Token-for-token agreement with the Python `tokenizers` library, on the ids that
/// scripts/golden/make_tokenizer_golden.py derived.
@Suite struct GoldenTokenizerTests {
    func check(_ tokenizer: Tokenizer, against golden: TestFixtures.Golden) throws {
        #expect(golden.cases.count > 60)
        for entry in golden.cases {
            let ids = try tokenizer.encode(entry.text)
            #expect(ids == entry.ids, "\(golden.name) with special tokens: \(entry.text.debugDescription)")
            let plain = try tokenizer.encode(entry.text, addSpecialTokens: false)
            #expect(plain == entry.ids_no_special, "\(golden.name) without special tokens: \(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids_no_special) == entry.decoded, "\(golden.name) decode: \(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids_no_special, skipSpecialTokens: false) == entry.decoded_keep_special,
                    "\(golden.name) decode keeping special tokens: \(entry.text.debugDescription)")
        }
    }

    @Test func byteLevelBPEMatchesPython() throws {
        let tokenizer = try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-tokenizer.json"))
        try check(tokenizer, against: try TestFixtures.golden("bytelevel"))
    }

    @Test func byteLevelWithNFCDigitsAndPrefixSpaceMatchesPython() throws {
        let tokenizer = try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-variant-tokenizer.json"))
        try check(tokenizer, against: try TestFixtures.golden("bytelevel-variant"))
    }

    @Test func wordPieceMatchesPython() throws {
        let tokenizer = try Tokenizer.load(contentsOf: TestFixtures.path("wordpiece-tokenizer.json"))
        try check(tokenizer, against: try TestFixtures.golden("wordpiece"))
    }

    @Test func phi35SentencePieceBPEMatchesPython() throws {
        guard let path = TestFixtures.phi35Path else {
            print("skipping phi35 golden test: ../shared/fixtures/phi35-tokenizer.json is absent")
            return
        }
        let tokenizer = try Tokenizer.load(contentsOf: path)
        try check(tokenizer, against: try TestFixtures.golden("phi35"))
    }

    @Test func phi35SeedVectors() throws {
        guard let path = TestFixtures.phi35Path else {
            print("skipping phi35 seed vectors: ../shared/fixtures/phi35-tokenizer.json is absent")
            return
        }
        let tokenizer = try Tokenizer.load(contentsOf: path)
        #expect(try tokenizer.encode("hello world") == [22172, 3186])
        #expect(try tokenizer.encode("Washington, D.C.<|endoftext|>") == [7660, 29892, 360, 29889, 29907, 29889, 32000])
        #expect(tokenizer.vocabularySize == 32011)
        #expect(tokenizer.id(of: "<0x0A>") == 13)
    }

    /// decode(encode(x)) == x for the lossless tokenizers on every hard case.
    @Test func roundTrips() throws {
        let byteLevel = try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-tokenizer.json"))
        for text in try TestFixtures.hardCases() {
            #expect(byteLevel.decode(try byteLevel.encode(text)) == text, "byte-level: \(text.debugDescription)")
        }
        if let path = TestFixtures.phi35Path {
            let phi = try Tokenizer.load(contentsOf: path)
            for text in try TestFixtures.hardCases() {
                #expect(phi.decode(try phi.encode(text)) == text, "phi35: \(text.debugDescription)")
            }
        }
    }
}
