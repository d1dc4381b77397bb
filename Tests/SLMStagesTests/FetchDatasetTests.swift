import Foundation
import SLMCore
import SLMData
import SLMPipeline
import Testing

@testable import SLMStages

@Suite struct FetchDatasetTests {
    static let squad = """
        {"version": "v2.0", "data": [{"title": "T", "paragraphs": [{"context": "Ada lives in Paris.",
          "qas": [{"id": "1", "question": "Where does Ada live?", "answers": [{"text": "Paris", "answer_start": 13}]},
                  {"id": "2", "question": "Who is Bob?", "answers": [], "is_impossible": true},
                  {"id": "3", "question": "Who lives in Paris?", "answers": [{"text": "Ada", "answer_start": 0}]},
                  {"id": "4", "question": "What city?", "answers": [{"text": "Paris", "answer_start": 13}]}]}]}]}
        """

    @Test func convertsSQuADSplitsAndFeedsTokenize() throws {
        let sandbox = try StageSandbox()
        try sandbox.write(Self.squad, to: "raw/squad.json")
        let digest = SHA256.hash(Data(Self.squad.utf8)).hex
        let report = try sandbox.run("""
            slmflow: 1
            name: f
            stages:
              fetch:
                kind: fetch-dataset
                path: raw/squad.json
                sha256: \(digest)
                format: squad
                validation_fraction: 0.25
                test_fraction: 0
              tok:
                kind: tokenize
                data: fetch
                vocab_size: 300
            """)
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")
        let train = try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/f/fetch/data/train.jsonl")
        let validation = try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/f/fetch/data/validation.jsonl")
        #expect(train.count == 3 && validation.count == 1)
        let all = train + validation
        #expect(all.contains { $0.target == "unanswerable" && $0.source.contains("###Question\nWho is Bob?\n") })
        #expect(all.filter { $0.target == "Paris" }.count == 2)
    }

    @Test func aWrongChecksumFailsAndARemoteURLWithoutSha256IsRefusedAtLoad() throws {
        let sandbox = try StageSandbox()
        try sandbox.write("{\"source\": \"a\", \"target\": \"b\"}\n", to: "raw/d.jsonl")
        let report = try sandbox.run("""
            slmflow: 1
            name: f
            stages:
              fetch: {kind: fetch-dataset, path: raw/d.jsonl, format: seed-jsonl, sha256: "\(String(repeating: "0", count: 64))"}
            """)
        #expect(report.stages.first?.status == .failed)
        #expect(report.stages.first?.error?.contains("sha256") == true)
        #expect(!FileManager.default.fileExists(atPath: sandbox.root + "/out/f/fetch/data/train.jsonl"))

        let error = #expect(throws: PipelineError.self) {
            try sandbox.run("""
                slmflow: 1
                name: f
                stages:
                  fetch: {kind: fetch-dataset, url: "https://example.com/d.jsonl", format: seed-jsonl}
                """)
        }
        #expect(String(describing: error).contains("needs a 'sha256'"))
    }

    @Test func mappedJSONLWithALimit() throws {
        let sandbox = try StageSandbox()
        let lines = (0..<50).map { "{\"q\": \"question \($0)\", \"a\": {\"text\": \"answer \($0)\"}}" }.joined(separator: "\n")
        try sandbox.write(lines, to: "raw/m.jsonl")
        let report = try sandbox.run("""
            slmflow: 1
            name: f
            stages:
              fetch: {kind: fetch-dataset, path: raw/m.jsonl, format: jsonl, source_field: q, target_field: a.text, limit: 20, seed: 5}
            """)
        #expect(report.stages.first?.status == .ran)
        let parts = try ["train", "validation", "test"].map { try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/f/fetch/data/\($0).jsonl") }
        #expect(parts.map(\.count).reduce(0, +) == 20)
        #expect(parts[0].allSatisfy { $0.source.hasPrefix("question ") && $0.target.hasPrefix("answer ") })
    }
}
