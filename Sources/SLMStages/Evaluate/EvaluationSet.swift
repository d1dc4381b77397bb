import Foundation
import SLMData
import SLMPipeline

/// The evaluation tasks of `kind: evaluate`.
enum EvaluationTask: String, CaseIterable, Sendable {
    /// SQuAD v2 exact match and F1 on QA records (`<split>.qa.jsonl`).
    case squad2
    /// ROUGE-1/2/L F-measure on source/target pairs (`<split>.jsonl`).
    case rouge
    /// CodeXGLUE smoothed BLEU-4 on source/target pairs (`<split>.jsonl`).
    case bleu
}

/// One example to decode and score: the model input text and what it is scored against.
struct EvaluationExample: Sendable, Equatable {
    var id: String
    /// The prompt: the encoder input (Mu) or the prefix (decoder-only models).
    var source: String
    /// Gold texts. For squad2, empty means the question has no answer (SQuAD v2).
    var references: [String]
}

/// Reads the examples of one split of a synth-qa or fetch-dataset record folder.
enum EvaluationSet {
    /// squad2 reads `<split>.qa.jsonl` for the gold answers. The prompt is the `source` of the
    /// same record in `<split>.jsonl` (what the tokenize stage trained on, whatever template the
    /// data stage used) when that file is there with one line per record; otherwise the seed's
    /// QA prompt is rendered from the record. rouge and bleu read `<split>.jsonl` pairs.
    static func load(folder: String, split: String, task: EvaluationTask, limit: Int?, stage: String) throws -> [EvaluationExample] {
        let pairsPath = folder + "/\(split).jsonl"
        var examples: [EvaluationExample]
        switch task {
        case .squad2:
            let qaPath = folder + "/\(split).qa.jsonl"
            guard FileManager.default.fileExists(atPath: qaPath) else {
                throw StageFailure("\(stage): 'data' has no \(split).qa.jsonl (QA records): task squad2 needs a synth-qa or a SQuAD fetch-dataset stage")
            }
            let records = try readLines(qaPath, as: QARecord.self, stage: stage)
            var sources: [String]?
            if FileManager.default.fileExists(atPath: pairsPath) {
                let pairs = try readLines(pairsPath, as: TextPair.self, stage: stage)
                if pairs.count == records.count { sources = pairs.map(\.source) }
            }
            let template = try QAPromptTemplate()
            examples = records.enumerated().map { index, record in
                EvaluationExample(
                    id: record.id,
                    source: sources?[index] ?? template.render(question: record.question, context: record.context),
                    references: record.isImpossible ? [] : record.answers.map(\.text))
            }
        case .rouge, .bleu:
            guard FileManager.default.fileExists(atPath: pairsPath) else {
                throw StageFailure("\(stage): 'data' has no \(split).jsonl (source/target pairs)")
            }
            examples = try readLines(pairsPath, as: TextPair.self, stage: stage).enumerated().map { index, pair in
                EvaluationExample(id: "\(split)-\(index)", source: pair.source, references: [pair.target])
            }
        }
        if let limit, limit < examples.count { examples = Array(examples.prefix(limit)) }
        guard !examples.isEmpty else { throw StageFailure("\(stage): split '\(split)' of 'data' has no examples") }
        return examples
    }

    static func readLines<T: Decodable>(_ path: String, as type: T.Type, stage: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw StageFailure("\(stage): cannot read \(path) as UTF-8")
        }
        let decoder = JSONDecoder()
        var out: [T] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                out.append(try decoder.decode(T.self, from: Data(trimmed.utf8)))
            } catch {
                throw StageFailure("\(stage): \(path) line \(number + 1): not a \(T.self) record (\(error))")
            }
        }
        return out
    }
}
