import Foundation
import Testing

@testable import SLMText

@Suite struct TrainerTests {
    /// A fixed pseudo-English corpus with the hard cases mixed in.
    static func corpus() throws -> [String] {
        var rng = SplitMix(seed: 7)
        let words = "the cat sat on a mat and then the dog ran to the park with 42 balls while it rained".split(separator: " ")
        var lines = try TestFixtures.hardCases()
        for _ in 0..<400 {
            lines.append((0..<8).map { _ in String(words[Int(rng.next() % UInt64(words.count))]) }.joined(separator: " ") + ".")
        }
        return lines
    }

    @Test func trainsToTheRequestedSizeAndRoundTrips() throws {
        let trainer = ByteLevelBPETrainer(vocabSize: 400, minFrequency: 2, specialTokens: ["<|endoftext|>", "<pad>"])
        let tokenizer = try trainer.train(try Self.corpus())
        #expect(tokenizer.vocabularySize == 400)
        #expect(tokenizer.id(of: "<|endoftext|>") == 0)
        #expect(tokenizer.id(of: "<pad>") == 1)
        let ids = try tokenizer.encode("the cat sat on the mat<|endoftext|>")
        #expect(ids.last == 0)
        #expect(ids.count < 12, "frequent words should be merged: \(ids)")
        for text in try TestFixtures.hardCases() {
            #expect(tokenizer.decode(try tokenizer.encode(text)) == text)
        }
    }

    @Test func minFrequencyStopsMerging() throws {
        let tokenizer = try ByteLevelBPETrainer(vocabSize: 10_000, minFrequency: 150).train(try Self.corpus())
        #expect(tokenizer.vocabularySize < 300)
        #expect(tokenizer.vocabularySize > 256)
    }

    @Test func trainingIsDeterministicAndWrittenJSONReloadsIdentically() throws {
        let corpus = try Self.corpus()
        let trainer = ByteLevelBPETrainer(vocabSize: 350, specialTokens: ["<s>"])
        let first = try trainer.train(corpus).tokenizerJSON()
        let second = try trainer.train(corpus).tokenizerJSON()
        #expect(first == second)
        let trained = try trainer.train(corpus)
        let reloaded = try Tokenizer.load(json: first)
        for text in try TestFixtures.hardCases() {
            #expect(try reloaded.encode(text) == trained.encode(text))
        }
    }

    /// add_prefix_space: a text's first word is counted and encoded as it is inside a text,
    /// so "cat" alone gives the ids of " cat" in "the cat" (a QA answer those of its span).
    @Test func addPrefixSpaceEncodesAFirstWordAsInsideAText() throws {
        let trainer = ByteLevelBPETrainer(vocabSize: 350, addPrefixSpace: true)
        let tokenizer = try trainer.train(try Self.corpus())
        let inside = try tokenizer.encode("the cat", addSpecialTokens: false)
        #expect(try tokenizer.encode("cat", addSpecialTokens: false) == Array(inside.dropFirst()))
        #expect(try tokenizer.encode("cat", addSpecialTokens: false) == tokenizer.encode(" cat", addSpecialTokens: false))
        #expect(tokenizer.decode(try tokenizer.encode("cat", addSpecialTokens: false)) == " cat")
        let json = try tokenizer.tokenizerJSON()
        #expect(json.contains("\"add_prefix_space\": true"))
        #expect(try Tokenizer.load(json: json).encode("cat sat", addSpecialTokens: false) == tokenizer.encode("cat sat", addSpecialTokens: false))
        // Counts made for another setting are refused rather than silently mixed.
        var counts = ByteLevelBPETrainer.WordCounts(addPrefixSpace: false)
        counts.add("the cat")
        #expect(throws: TokenizerError.self) { try trainer.train(counts) }
    }

    @Test func rejectsAVocabularyTooSmallForTheAlphabet() {
        #expect(throws: TokenizerError.self) { try ByteLevelBPETrainer(vocabSize: 100).train(["abc"]) }
    }
}

/// A tiny deterministic generator for test corpora.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
