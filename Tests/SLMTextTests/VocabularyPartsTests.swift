import Foundation
import Testing

@testable import SLMText

/// GGUF-style parts (`tokenizer.ggml.*`) build the same tokenizer types.
@Suite struct VocabularyPartsTests {
    @Test func gpt2PartsMatchTheTokenizerJSONOfTheSameVocabulary() throws {
        let json = try Tokenizer.load(contentsOf: TestFixtures.path("bytelevel-tokenizer.json"))
        guard case .bpe(let model) = json.model else { Issue.record("expected BPE"); return }
        let merges = model.mergePairs.map { "\(model.vocabulary.tokens[Int($0.0)]) \(model.vocabulary.tokens[Int($0.1)])" }
        var types = [Int32](repeating: 1, count: model.vocabulary.count)
        for token in json.addedTokens where Int(token.id) < types.count { types[Int(token.id)] = 3 }
        let parts = VocabularyParts(model: "gpt2", tokens: model.vocabulary.tokens, tokenTypes: types, merges: merges, bosId: 1, addBos: true)
        let fromParts = try Tokenizer(parts: parts)
        for text in try TestFixtures.hardCases() {
            #expect(try fromParts.encode(text) == json.encode(text), "\(text.debugDescription)")
        }
    }

    @Test func llamaScoresGiveMergesInScoreOrder() throws {
        // Byte tokens, pieces and their merges by score: "▁a" outranks "ab", so "▁ab" is "▁a" + "b".
        var tokens = ["<unk>", "<s>", "</s>"] + (0..<256).map { BPEModel.byteToken(UInt8($0)) }
        let pieces = ["▁", "a", "b", "▁a", "ab", "▁ab"]
        tokens += pieces
        var scores = [Float](repeating: 0, count: tokens.count)
        scores[259 + 3] = -1   // ▁a
        scores[259 + 4] = -2   // ab
        scores[259 + 5] = -3   // ▁ab
        var types = [Int32](repeating: 1, count: tokens.count)
        types[0] = 2; types[1] = 3; types[2] = 3
        for id in 3..<259 { types[id] = 6 }
        let tokenizer = try Tokenizer(parts: VocabularyParts(model: "llama", tokens: tokens, scores: scores, tokenTypes: types,
                                                             bosId: 1, eosId: 2, unknownId: 0, addBos: true))
        #expect(try tokenizer.encode("ab") == [1, 264])
        #expect(try tokenizer.encode("ab</s>", addSpecialTokens: false) == [264, 2])
        #expect(try tokenizer.encode("é", addSpecialTokens: false) == [259, 3 + 0xC3, 3 + 0xA9], "byte fallback")
        #expect(tokenizer.decode(try tokenizer.encode("ab é")) == "ab é")
        #expect(throws: TokenizerError.self) { try Tokenizer(parts: VocabularyParts(model: "rwkv", tokens: tokens)) }
    }
}
