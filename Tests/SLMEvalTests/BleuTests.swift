import Foundation
import Testing
import SLMCore
@testable import SLMEval

@Suite struct BleuTests {
    static let smoothings: [(String, NLTKBleu.Smoothing)] = [
        ("none", .none), ("epsilon0.1", .nltkDefaultEpsilon), ("addOne", .addOne),
    ]

    @Test func nltkSentenceBLEUMatchesGolden() throws {
        let cases = try #require(try GoldenFixture.load()["nltk_bleu"]).items("sentence")
        #expect(cases.count >= 10)
        for (index, item) in cases.enumerated() {
            let references = try item.strings("references").map(NLTKBleu.whitespaceTokens)
            let hypothesis = NLTKBleu.whitespaceTokens(try item.string("hypothesis"))
            for (name, smoothing) in Self.smoothings {
                let got = try #require(NLTKBleu.sentenceBLEU(references: references, hypothesis: hypothesis, smoothing: smoothing))
                let want = try item.number(name)
                #expect(abs(got - want) <= GoldenFixture.tolerance, "case \(index) \(name): \(got) vs \(want)")
            }
        }
    }

    @Test func nltkCorpusBLEUMatchesGolden() throws {
        let cases = try #require(try GoldenFixture.load()["nltk_bleu"]).items("corpus")
        #expect(cases.count >= 3)
        for (index, item) in cases.enumerated() {
            let references = try item.items("references").map { refs in
                try #require(refs.arrayValue).map { try #require($0.stringValue) }.map(NLTKBleu.whitespaceTokens)
            }
            let hypotheses = try item.strings("hypotheses").map(NLTKBleu.whitespaceTokens)
            for (name, smoothing) in Self.smoothings {
                let got = try #require(NLTKBleu.corpusBLEU(references: references, hypotheses: hypotheses, smoothing: smoothing))
                let want = try item.number(name)
                #expect(abs(got - want) <= GoldenFixture.tolerance, "corpus \(index) \(name): \(got) vs \(want)")
            }
        }
    }

    @Test func codeXGLUESmoothedBLEUMatchesGolden() throws {
        let golden = try #require(try GoldenFixture.load()["codexglue_bleu"])
        let cases = try golden.items("cases")
        #expect(cases.count >= 10)
        var allReferences: [[String]] = []
        var allPredictions: [String] = []
        for (index, item) in cases.enumerated() {
            let references = try item.strings("references")
            let prediction = try item.string("prediction")
            allReferences.append(references)
            allPredictions.append(prediction)
            let got = try #require(CodeXGLUEBleu.sentenceBLEU(references: references, prediction: prediction))
            let want = try item.number("bleu")
            #expect(abs(got - want) <= GoldenFixture.tolerance, "case \(index): \(got) vs \(want)")
        }
        let corpus = try #require(CodeXGLUEBleu.corpusScore(references: allReferences, predictions: allPredictions))
        #expect(abs(corpus - (try golden.number("corpus"))) <= GoldenFixture.tolerance)
    }

    @Test func identicalTextScoresOneAndDegenerateInputsAreRejected() throws {
        let tokens = ["a", "b", "c", "d", "e"]
        #expect(NLTKBleu.sentenceBLEU(references: [tokens], hypothesis: tokens) == 1)
        #expect(NLTKBleu.corpusBLEU(references: [], hypotheses: []) == nil)
        #expect(NLTKBleu.corpusBLEU(references: [[tokens]], hypotheses: []) == nil)
        #expect(NLTKBleu.sentenceBLEU(references: [], hypothesis: tokens) == nil)
        #expect(try #require(CodeXGLUEBleu.sentenceBLEU(references: ["get the value"], prediction: "Get the value")) == 1)
        #expect(CodeXGLUEBleu.sentenceBLEU(references: [], prediction: "x") == nil)
        #expect(CodeXGLUEBleu.corpusScore(references: [["x"]], predictions: []) == nil)
    }

    @Test func codeXGLUEEmptyPredictionKeepsTheBrevityTerm() throws {
        // All guesses are 0, so every log-ratio is 0 and only the brevity term is left:
        // exp(1 − (r + 1)/(0 + 1)) = exp(−r), here r = 3.
        let score = try #require(CodeXGLUEBleu.sentenceBLEU(references: ["closes the stream"], prediction: ""))
        #expect(abs(score - exp(-3.0)) < 1e-15)
    }

    @Test func codeXGLUETokenisationSplitsPunctuation() {
        // splitPuncts keeps x_1 and separates "3.14" into 3 . 14; normalize then pads "_"
        // (inside its [-` range) as punctuation. Same as the Python reference gives.
        #expect(CodeXGLUEBleu.splitPuncts("x_1+y, 3.14") == "x_1 + y , 3 . 14")
        #expect(CodeXGLUEBleu.normalize(CodeXGLUEBleu.splitPuncts("x_1+y, 3.14")) == ["x", "_", "1", "+", "y", ",", "3", ".", "14"])
    }
}
