import Testing
import SLMCore
@testable import SLMEval

@Suite struct RougeTests {
    @Test func goldenCasesMatchRougeScore() throws {
        let cases = try GoldenFixture.load().items("rouge")
        #expect(cases.count >= 20)
        for (index, item) in cases.enumerated() {
            let target = try item.string("target")
            let prediction = try item.string("prediction")
            #expect(Rouge.tokenize(target) == (try item.strings("target_tokens")), "case \(index)")
            let scores = Rouge.scores(target: target, prediction: prediction)
            let pairs: [(String, Rouge.Score)] = [
                ("rouge1", scores.rouge1), ("rouge2", scores.rouge2), ("rougeL", scores.rougeL), ("rougeLsum", scores.rougeLsum),
            ]
            for (name, score) in pairs {
                let want = try item.numbers(name)
                #expect(want.count == 3)
                let got = [score.precision, score.recall, score.fmeasure]
                for (g, w) in zip(got, want) {
                    #expect(abs(g - w) <= GoldenFixture.tolerance, "case \(index) \(name): \(got) vs \(want)")
                }
            }
        }
    }

    @Test func tokenizerKeepsOnlyLowercaseASCIIAlphanumericRuns() {
        #expect(Rouge.tokenize("Hello, World! x_1 café") == ["hello", "world", "x", "1", "caf"])
        #expect(Rouge.tokenize("...") == [])
    }

    @Test func handComputedScores() {
        // target 6 tokens, prediction 6 tokens; 5 unigrams shared (the ×2, cat, on, mat).
        let r1 = Rouge.rougeN(target: "the cat sat on the mat", prediction: "the cat was on the mat", n: 1)
        #expect(abs(r1.fmeasure - 5.0 / 6.0) < 1e-12)
        // bigrams: "the cat", "on the", "the mat" shared out of 5 → 3/5.
        let r2 = Rouge.rougeN(target: "the cat sat on the mat", prediction: "the cat was on the mat", n: 2)
        #expect(abs(r2.fmeasure - 0.6) < 1e-12)
        // LCS: the cat on the mat = 5.
        #expect(abs(Rouge.rougeL(target: "the cat sat on the mat", prediction: "the cat was on the mat").fmeasure - 5.0 / 6.0) < 1e-12)
        #expect(Rouge.rougeL(target: "", prediction: "x").fmeasure == 0)
    }

    @Test func meanFMeasuresAverageExamplesAndRejectMismatchedLists() throws {
        let mean = try #require(Rouge.meanFMeasures(targets: ["a b", "c d"], predictions: ["a b", "x y"]))
        #expect(mean.rouge1 == 0.5 && mean.rougeL == 0.5 && mean.count == 2)
        #expect(Rouge.meanFMeasures(targets: ["a"], predictions: []) == nil)
        #expect(Rouge.meanFMeasures(targets: [], predictions: []) == nil)
    }
}
