import Foundation
import Testing
@testable import SLMEval

@Suite struct MetricInputsTests {
    static let dataset = Data("""
        {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "c", "qas": [
          {"id": "q1", "question": "?", "answers": [{"text": "Denver Broncos", "answer_start": 0}, {"text": "Broncos", "answer_start": 7}]},
          {"id": "q2", "question": "?", "answers": [], "plausible_answers": [{"text": "x", "answer_start": 0}], "is_impossible": true},
          {"id": "q3", "question": "?", "answers": [{"text": "Santa Clara", "answer_start": 0}]}]}]}]}
        """.utf8)

    @Test func squadFilesGiveTheOfficialReport() throws {
        let predictions = Data(#"{"q1": "the Broncos", "q2": "", "q3": "Santa Clara, California", "extra": "ignored"}"#.utf8)
        let scores = try MetricInputs.scoreSQuAD(dataset: Self.dataset, predictions: predictions)
        let metrics = Dictionary(uniqueKeysWithValues: scores.metrics.map { ($0.name, $0.value) })
        #expect(scores.count == 3)
        // q1 exact (Broncos), q2 correct abstention, q3 F1 = 2·(2/3·1)/(2/3+1) = 0.8.
        #expect(abs((metrics["exact"] ?? -1) - 200.0 / 3.0) < 1e-9)
        #expect(abs((metrics["f1"] ?? -1) - 280.0 / 3.0) < 1e-9)
        #expect(metrics["HasAns_total"] == 2 && metrics["NoAns_total"] == 1)
        #expect(metrics["NoAns_exact"] == 100)
    }

    @Test func missingPredictionsAreAnError() {
        #expect(throws: MetricInputs.InputError.self) {
            try MetricInputs.scoreSQuAD(dataset: Self.dataset, predictions: Data(#"{"q1": "Broncos"}"#.utf8))
        }
        #expect(throws: MetricInputs.InputError.self) {
            try MetricInputs.scoreSQuAD(dataset: Data("[]".utf8), predictions: Data("{}".utf8))
        }
    }

    @Test func lineFilesPlainAndJSONL() throws {
        #expect(try MetricInputs.records(Data("a b\r\nc\n".utf8), jsonLines: false) == [["a b"], ["c"]])
        #expect(try MetricInputs.records(Data("\"x\\ny\"\n[\"r1\", \"r2\"]\n".utf8), jsonLines: true) == [["x\ny"], ["r1", "r2"]])
        #expect(throws: MetricInputs.InputError.self) { try MetricInputs.records(Data("3\n".utf8), jsonLines: true) }
        #expect(throws: MetricInputs.InputError.self) { try MetricInputs.records(Data("[]\n".utf8), jsonLines: true) }
    }

    @Test func rougeAndBleuFromRecords() throws {
        let rouge = try MetricInputs.scoreRouge(references: [["the cat sat"], ["a dog"]], predictions: [["the cat sat"], ["no"]])
        #expect(rouge.metrics.first { $0.name == "rouge1" }?.value == 0.5)
        #expect(throws: MetricInputs.InputError.self) {
            try MetricInputs.scoreRouge(references: [["a", "b"]], predictions: [["a"]])
        }
        #expect(throws: MetricInputs.InputError.self) {
            try MetricInputs.scoreRouge(references: [["a"]], predictions: [])
        }
        let bleu = try MetricInputs.scoreBLEU(references: [["get the value", "return the value"]], predictions: [["get the value"]])
        #expect(bleu.metrics.map(\.name) == ["bleu", "nltk_corpus_bleu"])
        #expect(bleu.metrics.first?.value == 100)
    }
}
