import Foundation
import SLMCore
import SLMEval
import SLMPipeline

/// One score of one model on one task, as it goes into the comparison table.
struct TaskScore: Sendable, Equatable {
    var metric: String
    var value: Double
    var higherIsBetter = true
    /// A column of the comparison table; the SQuAD v2 HasAns/NoAns breakdowns and rougeLsum
    /// are kept in the stage's metrics and the zoo, not the table.
    var headline = true
}

/// Turns predictions into the task's metrics (docs/evaluation.md, "The evaluate stage").
///
/// squad2: a prediction equal (after the official answer normalisation) to the data's
/// unanswerable target — the text the model was trained to say for a question the context
/// does not answer — counts as the empty answer, which is what SQuAD v2 scores against
/// no-answer questions. Reported: `exact` and `f1` (0–100, the official script's scale)
/// overall, and `HasAns_*` / `NoAns_*` when that subset is non-empty.
/// rouge: mean `rouge1`, `rouge2`, `rougeL` (and `rougeLsum`) F-measures, 0–1 as
/// rouge-score and the paper. bleu: `bleu`, the CodeXGLUE smoothed BLEU-4 (0–100).
enum PredictionScorer {
    /// The text SQuAD v2 scores: "" for the unanswerable target, else the prediction.
    static func squadAnswer(_ prediction: String, unanswerableTarget: String) -> String {
        let target = SQuADv2.normalizeAnswer(unanswerableTarget)
        if !target.isEmpty && SQuADv2.normalizeAnswer(prediction) == target { return "" }
        return prediction
    }

    static func score(task: EvaluationTask, examples: [EvaluationExample], predictions: [String],
                      unanswerableTarget: String) throws -> [TaskScore] {
        guard examples.count == predictions.count, !examples.isEmpty else {
            throw StageFailure("\(examples.count) examples but \(predictions.count) predictions")
        }
        switch task {
        case .squad2:
            let items = zip(examples, predictions).map { example, prediction in
                SQuADv2.Example(id: example.id, goldAnswers: example.references,
                                prediction: squadAnswer(prediction, unanswerableTarget: unanswerableTarget))
            }
            guard let report = SQuADv2.evaluate(items) else { throw StageFailure("no SQuAD v2 examples to score") }
            var scores = [TaskScore(metric: "exact", value: report.overall.exact), TaskScore(metric: "f1", value: report.overall.f1)]
            if let has = report.hasAnswer {
                scores += [TaskScore(metric: "HasAns_exact", value: has.exact, headline: false),
                           TaskScore(metric: "HasAns_f1", value: has.f1, headline: false)]
            }
            if let none = report.noAnswer {
                scores += [TaskScore(metric: "NoAns_exact", value: none.exact, headline: false),
                           TaskScore(metric: "NoAns_f1", value: none.f1, headline: false)]
            }
            return scores
        case .rouge:
            guard let means = Rouge.meanFMeasures(targets: examples.map { $0.references.first ?? "" }, predictions: predictions) else {
                throw StageFailure("no ROUGE examples to score")
            }
            return [TaskScore(metric: "rouge1", value: means.rouge1), TaskScore(metric: "rouge2", value: means.rouge2),
                    TaskScore(metric: "rougeL", value: means.rougeL), TaskScore(metric: "rougeLsum", value: means.rougeLsum, headline: false)]
        case .bleu:
            guard let bleu = CodeXGLUEBleu.corpusScore(references: examples.map(\.references), predictions: predictions) else {
                throw StageFailure("BLEU is undefined here (an example without a reference?)")
            }
            return [TaskScore(metric: "bleu", value: bleu)]
        }
    }

    /// Scores a predictions file written by the stage (`<model>.predictions.jsonl`): its
    /// `prediction` field, as generated, against its `references`.
    static func scoreFile(_ path: String, task: EvaluationTask, unanswerableTarget: String) throws -> [TaskScore] {
        let lines = try EvaluationSet.readLines(path, as: PredictionLine.self, stage: "predictions")
        return try score(task: task, examples: lines.map { EvaluationExample(id: $0.id, source: "", references: $0.references) },
                         predictions: lines.map(\.prediction), unanswerableTarget: unanswerableTarget)
    }
}

/// One line of `<model>.predictions.jsonl`.
struct PredictionLine: Codable, Equatable {
    var id: String
    /// The decoded generation, EOS removed, whitespace trimmed.
    var prediction: String
    /// What the metric scored (squad2: "" for the unanswerable target).
    var scored: String
    var references: [String]
}
