import Foundation
import SLMCore

/// Reading the files `slmflow eval score` takes, and scoring a whole task from them.
///
/// * SQuAD v2: the references are the official dataset JSON (`dev-v2.0.json` layout:
///   data → paragraphs → qas with `id` and `answers[].text`), and the predictions are the
///   official predictions JSON `{"<question id>": "<answer text>"}`, "" for no answer.
/// * ROUGE and BLEU: one example per line. A `.jsonl` file holds one JSON string per
///   line, or for references an array of strings (several references). Any other file is
///   plain UTF-8 text, one example per line (a trailing "\r" is dropped; text with line
///   breaks, as ROUGE-Lsum wants, needs JSONL).
public enum MetricInputs {
    public struct InputError: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The scores of one task over a file pair, in a fixed order.
    public struct TaskScores: Sendable, Hashable {
        public var task: String
        public var count: Int
        public var metrics: [(name: String, value: Double)]

        public static func == (a: TaskScores, b: TaskScores) -> Bool {
            a.task == b.task && a.count == b.count && a.metrics.elementsEqual(b.metrics) { $0 == $1 }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(task)
            hasher.combine(count)
            for metric in metrics { hasher.combine(metric.name); hasher.combine(metric.value) }
        }

        public var json: JSONValue {
            .object([
                "task": .string(task),
                "count": .int(Int64(count)),
                "metrics": .object(Dictionary(uniqueKeysWithValues: metrics.map { ($0.name, JSONValue.double($0.value)) })),
            ])
        }
    }

    // MARK: SQuAD v2

    /// Pairs every question of the dataset with its prediction. A question without a
    /// prediction is an error (the official script prints it and then fails on the
    /// HasAns/NoAns breakdown); predictions for unknown ids are ignored, as there.
    public static func squadExamples(dataset: Data, predictions: Data) throws -> [SQuADv2.Example] {
        let datasetJSON = try decode(dataset, "the SQuAD dataset")
        guard let predictionObject = try decode(predictions, "the predictions").objectValue else {
            throw InputError("the predictions must be a JSON object {question id: answer text}")
        }
        guard let articles = datasetJSON.objectValue?["data"]?.arrayValue else {
            throw InputError("the SQuAD dataset has no \"data\" array")
        }
        var examples: [SQuADv2.Example] = []
        var missing: [String] = []
        for article in articles {
            for paragraph in article.objectValue?["paragraphs"]?.arrayValue ?? [] {
                for question in paragraph.objectValue?["qas"]?.arrayValue ?? [] {
                    guard let id = question.objectValue?["id"]?.stringValue else {
                        throw InputError("a question in the SQuAD dataset has no string \"id\"")
                    }
                    let answers = (question.objectValue?["answers"]?.arrayValue ?? []).compactMap {
                        $0.objectValue?["text"]?.stringValue
                    }
                    guard let prediction = predictionObject[id] else { missing.append(id); continue }
                    guard let text = prediction.stringValue else {
                        throw InputError("the prediction for \(id) is not a string")
                    }
                    examples.append(SQuADv2.Example(id: id, goldAnswers: answers, prediction: text))
                }
            }
        }
        if !missing.isEmpty {
            let shown = missing.prefix(5).joined(separator: ", ")
            throw InputError("\(missing.count) question(s) have no prediction: \(shown)\(missing.count > 5 ? ", …" : "")")
        }
        guard !examples.isEmpty else { throw InputError("the SQuAD dataset has no questions") }
        return examples
    }

    public static func scoreSQuAD(dataset: Data, predictions: Data) throws -> TaskScores {
        let examples = try squadExamples(dataset: dataset, predictions: predictions)
        guard let report = SQuADv2.evaluate(examples) else { throw InputError("no questions to score") }
        var metrics: [(name: String, value: Double)] = [("exact", report.overall.exact), ("f1", report.overall.f1)]
        if let has = report.hasAnswer {
            metrics += [("HasAns_exact", has.exact), ("HasAns_f1", has.f1), ("HasAns_total", Double(has.total))]
        }
        if let none = report.noAnswer {
            metrics += [("NoAns_exact", none.exact), ("NoAns_f1", none.f1), ("NoAns_total", Double(none.total))]
        }
        return TaskScores(task: "squad2", count: report.overall.total, metrics: metrics)
    }

    // MARK: Line files

    /// One record per line: a list of texts (one for predictions; one or more references).
    public static func records(_ data: Data, jsonLines: Bool) throws -> [[String]] {
        guard let text = String(data: data, encoding: .utf8) else { throw InputError("the file is not UTF-8") }
        // Split on the code point: as Characters, "\r\n" is one grapheme and would not split.
        var lines = PythonText.split(text, onScalar: "\n")
        if lines.last == "" { lines.removeLast() }
        return try lines.enumerated().map { index, rawLine in
            let line = rawLine.unicodeScalars.last == "\r"
                ? String(String.UnicodeScalarView(rawLine.unicodeScalars.dropLast())) : rawLine
            guard jsonLines else { return [line] }
            let value = try decode(Data(line.utf8), "line \(index + 1)")
            if let single = value.stringValue { return [single] }
            if let many = value.arrayValue, !many.isEmpty {
                let texts = many.compactMap(\.stringValue)
                if texts.count == many.count { return texts }
            }
            throw InputError("line \(index + 1) is neither a JSON string nor a non-empty array of strings")
        }
    }

    public static func scoreRouge(references: [[String]], predictions: [[String]]) throws -> TaskScores {
        let (targets, outputs) = try pairUp(references: references, predictions: predictions)
        guard let targetsOnly = singleReferences(targets),
              let mean = Rouge.meanFMeasures(targets: targetsOnly, predictions: outputs) else {
            throw InputError("ROUGE takes exactly one reference per example")
        }
        return TaskScores(task: "rouge", count: mean.count, metrics: [
            ("rouge1", mean.rouge1), ("rouge2", mean.rouge2), ("rougeL", mean.rougeL), ("rougeLsum", mean.rougeLsum),
        ])
    }

    /// `bleu`: CodeXGLUE smoothed BLEU-4 (0–100); `nltk_corpus_bleu`: NLTK corpus BLEU-4
    /// without smoothing on whitespace tokens (0–1).
    public static func scoreBLEU(references: [[String]], predictions: [[String]]) throws -> TaskScores {
        let (targets, outputs) = try pairUp(references: references, predictions: predictions)
        guard let codexglue = CodeXGLUEBleu.corpusScore(references: targets, predictions: outputs),
              let nltk = NLTKBleu.corpusBLEU(
                references: targets.map { $0.map(NLTKBleu.whitespaceTokens) },
                hypotheses: outputs.map(NLTKBleu.whitespaceTokens)) else {
            throw InputError("BLEU needs at least one reference per example")
        }
        return TaskScores(task: "bleu", count: outputs.count, metrics: [("bleu", codexglue), ("nltk_corpus_bleu", nltk)])
    }

    private static func pairUp(references: [[String]], predictions: [[String]]) throws -> ([[String]], [String]) {
        guard references.count == predictions.count else {
            throw InputError("\(predictions.count) prediction(s) but \(references.count) reference record(s)")
        }
        guard !predictions.isEmpty else { throw InputError("no examples") }
        let outputs = try predictions.enumerated().map { index, record in
            guard record.count == 1, let text = record.first else {
                throw InputError("prediction \(index + 1) must be a single text")
            }
            return text
        }
        return (references, outputs)
    }

    private static func singleReferences(_ references: [[String]]) -> [String]? {
        var out: [String] = []
        for record in references {
            guard record.count == 1, let text = record.first else { return nil }
            out.append(text)
        }
        return out
    }

    private static func decode(_ data: Data, _ what: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw InputError("\(what) is not valid JSON")
        }
    }
}
