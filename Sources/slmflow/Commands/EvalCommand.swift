import ArgumentParser
import Foundation
import SLMCore
import SLMEval

/// `slmflow eval …`: metrics over files, outside any pipeline.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluation metrics (docs/evaluation.md).",
        subcommands: [EvalScoreCommand.self])
}

struct EvalScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score predictions against references: SQuAD v2 EM/F1, ROUGE-1/2/L/Lsum or BLEU-4.",
        discussion: """
            squad2: --references is the official SQuAD v2 dataset JSON, --predictions the official \
            predictions JSON {"question id": "answer"}. rouge, bleu: one example per line; .jsonl \
            files hold a JSON string per line (references: or an array of strings).
            """)

    enum Task: String, ExpressibleByArgument, CaseIterable { case squad2, rouge, bleu }

    @Option(name: .long, help: "squad2, rouge or bleu.")
    var task: Task

    @Option(name: .long, help: ArgumentHelp("The model outputs.", valueName: "file"))
    var predictions: String

    @Option(name: .long, help: ArgumentHelp("The gold answers or references.", valueName: "file"))
    var references: String

    @Flag(name: .long, help: "Print the scores as JSON.")
    var json = false

    func run() throws {
        let scores: MetricInputs.TaskScores
        do {
            let predictionData = try read(predictions)
            let referenceData = try read(references)
            switch task {
            case .squad2:
                scores = try MetricInputs.scoreSQuAD(dataset: referenceData, predictions: predictionData)
            case .rouge, .bleu:
                let predictionRecords = try MetricInputs.records(predictionData, jsonLines: predictions.hasSuffix(".jsonl"))
                let referenceRecords = try MetricInputs.records(referenceData, jsonLines: references.hasSuffix(".jsonl"))
                scores = task == .rouge
                    ? try MetricInputs.scoreRouge(references: referenceRecords, predictions: predictionRecords)
                    : try MetricInputs.scoreBLEU(references: referenceRecords, predictions: predictionRecords)
            }
        } catch let error as MetricInputs.InputError {
            printError("error: \(error.description)")
            throw ExitCode(2)
        }
        if json {
            print(scores.json.canonicalText)
        } else {
            print("\(scores.task) (\(scores.count) example\(scores.count == 1 ? "" : "s"))")
            let width = scores.metrics.map(\.name.count).max() ?? 0
            for metric in scores.metrics {
                let padding = String(repeating: " ", count: width - metric.name.count)
                let value = metric.name.hasSuffix("_total") ? String(Int(metric.value)) : String(format: "%.4f", metric.value)
                print("  \(metric.name)\(padding)  \(value)")
            }
        }
    }

    private func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MetricInputs.InputError("cannot read \(path)")
        }
        return data
    }
}
