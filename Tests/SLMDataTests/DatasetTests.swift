import Foundation
import Testing

@testable import SLMData

@Suite final class DatasetTests {
    let folder: String = {
        let path = NSTemporaryDirectory() + "slm-data-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, _ name: String) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func seedPromptTemplateMatchesTheSpec() throws {
        let template = try QAPromptTemplate()
        let source = template.render(question: "What is the capital of the United States?",
                                     context: "Washington, D.C. is the capital of the United States.")
        #expect(source == "Answer the following question based only on the context.\n###Question\nWhat is the capital of the United States?\n###Context\nWashington, D.C. is the capital of the United States.\n###Answer\n")
        #expect(template.render(question: "{context}?", context: "c") .contains("{context}?"), "placeholders in values stay literal")
        #expect(throws: DatasetError.self) { try QAPromptTemplate(template: "no placeholder") }
    }

    @Test func readsSeedJSONLAndMappedFields() throws {
        let seed = try write("{\"source\": \"s1\", \"target\": \"t1\"}\n\n{\"source\": \"s2\", \"target\": \"t2\"}", "seed.jsonl")
        #expect(try DatasetReaders.textPairs(jsonl: seed) == [TextPair(source: "s1", target: "t1"), TextPair(source: "s2", target: "t2")])
        let mapped = try write("{\"q\": {\"text\": \"why\"}, \"answers\": [\"because\", \"x\"]}\n", "mapped.jsonl")
        #expect(try DatasetReaders.textPairs(jsonl: mapped, sourceField: "q.text", targetField: "answers.0") == [TextPair(source: "why", target: "because")])
        let crlf = try write("{\"source\": \"a\", \"target\": \"b\"}\r\n{\"source\": \"c\", \"target\": \"d\"}\r\n", "crlf.jsonl")
        #expect(try DatasetReaders.textPairs(jsonl: crlf).map(\.target) == ["b", "d"], "CRLF lines are lines")
        let bad = try write("{\"source\": \"a\", \"target\": \"b\"}\n{\"source\": 1\n", "bad.jsonl")
        let error = #expect(throws: DatasetError.self) { try DatasetReaders.textPairs(jsonl: bad) }
        #expect(error?.message.contains("bad.jsonl:2") == true)
    }

    @Test func readsSQuADWithSpansAndUnanswerableQuestions() throws {
        let squad = """
            {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "Żółw lives in Paris since 1999.",
              "qas": [{"id": "a", "question": "Where?", "answers": [{"text": "Paris", "answer_start": 14}], "is_impossible": false},
                      {"id": "b", "question": "Who?", "answers": [], "plausible_answers": [{"text": "Żółw", "answer_start": 0}], "is_impossible": true}]}]}]}
            """
        let records = try DatasetReaders.squad(try write(squad, "squad.json"))
        #expect(records.count == 2)
        #expect(records[0].answers == [QARecord.Answer(text: "Paris", start: 14)])
        #expect(!records[0].isImpossible)
        #expect(records[1].isImpossible && records[1].answers.isEmpty)
        let template = try QAPromptTemplate()
        #expect(template.pair(records[1]).target == "unanswerable")
        #expect(template.pair(records[0]).target == "Paris")

        let wrongSpan = squad.replacingOccurrences(of: "\"answer_start\": 14", with: "\"answer_start\": 13")
        let error = #expect(throws: DatasetError.self) { try DatasetReaders.squad(try write(wrongSpan, "wrong.json")) }
        #expect(error?.message.contains("qas[0].answers[0]") == true)
    }

    @Test func readsTheEasyVQALayout() throws {
        _ = try write("[[\"What shape is in the image?\", \"circle\", 0], [\"What color is the shape?\", \"blue\", 1]]", "vqa/questions.json")
        _ = try write("png", "vqa/images/0.png")
        _ = try write("png", "vqa/images/1.png")
        let records = try DatasetReaders.easyVQA(folder: folder + "/vqa")
        #expect(records.map(\.answer) == ["circle", "blue"])
        #expect(records[1].imagePath.hasSuffix("vqa/images/1.png"))
        try FileManager.default.removeItem(atPath: folder + "/vqa/images/1.png")
        #expect(throws: DatasetError.self) { try DatasetReaders.easyVQA(folder: folder + "/vqa") }
    }

    @Test func splitIsDeterministicDisjointAndLimited() throws {
        let records = Array(0..<1000)
        let a = try DatasetSplit(records, validationFraction: 0.1, testFraction: 0.2, seed: 42)
        let b = try DatasetSplit(records, validationFraction: 0.1, testFraction: 0.2, seed: 42)
        let c = try DatasetSplit(records, validationFraction: 0.1, testFraction: 0.2, seed: 43)
        #expect(a.train == b.train && a.validation == b.validation && a.test == b.test)
        #expect(a.train != c.train)
        #expect((a.validation.count, a.test.count, a.train.count) == (100, 200, 700))
        #expect(Set(a.train + a.validation + a.test) == Set(records))
        let limited = try DatasetSplit(records, validationFraction: 0.5, testFraction: 0, seed: 1, limit: 10)
        #expect(limited.train.count + limited.validation.count == 10)
        #expect(throws: DatasetError.self) { try DatasetSplit(records, validationFraction: 0.5, testFraction: 0.5, seed: 1) }
    }

    @Test func syntheticQAAnswersAreSpansAndTheUnanswerableShareHolds() throws {
        let generator = try SyntheticQA(seed: 9, factsPerContext: 4, fillerSentences: 3, unanswerableFraction: 0.3)
        let records = generator.generate(count: 600)
        #expect(records == generator.generate(count: 600), "same seed, same records")
        #expect(records != (try SyntheticQA(seed: 10).generate(count: 600)))
        let unanswerable = records.filter(\.isImpossible).count
        #expect(unanswerable > 130 && unanswerable < 230, "about 30% of 600, got \(unanswerable)")
        for record in records where !record.isImpossible {
            let scalars = Array(record.context.unicodeScalars)
            let answer = try #require(record.answers.first)
            let span = String(String.UnicodeScalarView(scalars[answer.start..<(answer.start + answer.text.unicodeScalars.count)]))
            #expect(span == answer.text)
        }
        let long = try SyntheticQA(seed: 9, factsPerContext: 8, fillerSentences: 40).generate(count: 5)
        #expect(long.allSatisfy { $0.context.count > 1500 })
        #expect(long.allSatisfy { !$0.isImpossible }, "with every fact stated, every question is answerable")
    }
}
