import Testing
import SLMCore
@testable import SLMEval

@Suite struct SQuADv2Tests {
    @Test func goldenCasesMatchTheOfficialScript() throws {
        let cases = try #require(try GoldenFixture.load()["squad_v2"]).items("cases")
        #expect(cases.count >= 30)
        for (index, item) in cases.enumerated() {
            let example = SQuADv2.Example(
                id: "\(index)", goldAnswers: try item.strings("answers"), prediction: try item.string("prediction"))
            let score = SQuADv2.score(example)
            #expect(SQuADv2.normalizeAnswer(example.prediction) == (try item.string("normalized_prediction")), "case \(index)")
            #expect(score.exact == (try item.number("exact")), "case \(index): \(example)")
            #expect(abs(score.f1 - (try item.number("f1"))) <= GoldenFixture.tolerance, "case \(index): \(example)")
        }
    }

    @Test func goldenReportMatchesWithHasAnsAndNoAnsBreakdown() throws {
        let golden = try #require(try GoldenFixture.load()["squad_v2"])
        let examples = try golden.items("cases").enumerated().map { index, item in
            SQuADv2.Example(id: "\(index)", goldAnswers: try item.strings("answers"), prediction: try item.string("prediction"))
        }
        let report = try #require(SQuADv2.evaluate(examples))
        let expected = try #require(golden["report"])
        func check(_ summary: SQuADv2.Summary?, _ key: String) throws {
            let want = try #require(expected[key])
            let got = try #require(summary, "missing \(key)")
            #expect(abs(got.exact - (try want.number("exact"))) <= GoldenFixture.tolerance, "\(key)")
            #expect(abs(got.f1 - (try want.number("f1"))) <= GoldenFixture.tolerance, "\(key)")
            #expect(Double(got.total) == (try want.number("total")), "\(key)")
        }
        try check(report.overall, "overall")
        try check(report.hasAnswer, "HasAns")
        try check(report.noAnswer, "NoAns")
    }

    @Test func normalisationFollowsTheOfficialSteps() {
        #expect(SQuADv2.normalizeAnswer("  The  Quick, brown fox!! ") == "quick brown fox")
        #expect(SQuADv2.normalizeAnswer("theater an anthem") == "theater anthem")
        #expect(SQuADv2.normalizeAnswer("A") == "")
        // Curly quotes are not in string.punctuation: they stay.
        #expect(SQuADv2.normalizeAnswer("\u{201C}x\u{201D}") == "\u{201C}x\u{201D}")
    }

    @Test func f1CountsSharedTokensAsAMultiset() {
        // gold: quick red fox (3), prediction: quick brown fox (3): 2 shared → P = R = 2/3.
        #expect(abs(SQuADv2.f1(gold: "the quick red fox", prediction: "quick brown fox") - 2.0 / 3.0) < 1e-12)
        // "cat" once in gold: the three extra copies are not shared. P = 1/4, R = 1 → 0.4.
        #expect(abs(SQuADv2.f1(gold: "cat", prediction: "cat cat cat cat") - 0.4) < 1e-12)
    }

    @Test func unanswerableScoresOneOnlyForAnEmptyPrediction() {
        let empty = SQuADv2.score(SQuADv2.Example(id: "q", goldAnswers: [], prediction: ""))
        #expect(empty == SQuADv2.QuestionScore(exact: 1, f1: 1))
        // "the" normalises to nothing, so it counts as abstaining too (official behaviour).
        let article = SQuADv2.score(SQuADv2.Example(id: "q", goldAnswers: [], prediction: "the"))
        #expect(article == SQuADv2.QuestionScore(exact: 1, f1: 1))
        let answered = SQuADv2.score(SQuADv2.Example(id: "q", goldAnswers: [], prediction: "Paris"))
        #expect(answered == SQuADv2.QuestionScore(exact: 0, f1: 0))
        // An answerable question whose prediction is empty scores 0.
        let missed = SQuADv2.score(SQuADv2.Example(id: "q", goldAnswers: ["Paris"], prediction: ""))
        #expect(missed == SQuADv2.QuestionScore(exact: 0, f1: 0))
    }

    @Test func bestGoldAnswerCounts() {
        let score = SQuADv2.score(SQuADv2.Example(id: "q", goldAnswers: ["Denver Broncos", "Broncos"], prediction: "broncos"))
        #expect(score == SQuADv2.QuestionScore(exact: 1, f1: 1))
    }

    @Test func breakdownIsOmittedForAnEmptySubsetAndEmptyInputHasNoReport() throws {
        #expect(SQuADv2.evaluate([]) == nil)
        let report = try #require(SQuADv2.evaluate([SQuADv2.Example(id: "a", goldAnswers: ["x"], prediction: "x")]))
        #expect(report.overall == SQuADv2.Summary(exact: 100, f1: 100, total: 1))
        #expect(report.noAnswer == nil)
        #expect(report.hasAnswer == report.overall)
    }
}
