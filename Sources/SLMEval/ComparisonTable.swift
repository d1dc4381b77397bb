import Foundation
import SLMCore

/// Models × tasks × metrics, as the evaluate stage reports them: rendered as a Markdown
/// table (aligned columns, the best value of each metric in bold) and as JSON with a
/// stable schema (docs/evaluation.md, "Comparison table"). Rows, tasks and metrics keep
/// the order in which they were first given.
public struct ComparisonTable: Sendable, Hashable {
    /// One column: a metric of a task, and which direction is better.
    public struct Column: Sendable, Hashable {
        public var task: String
        public var metric: String
        public var higherIsBetter: Bool
        public init(task: String, metric: String, higherIsBetter: Bool = true) {
            self.task = task
            self.metric = metric
            self.higherIsBetter = higherIsBetter
        }
    }

    public enum TableError: Error, Equatable, CustomStringConvertible {
        case nonFiniteScore(model: String, task: String, metric: String)
        case conflictingDirection(task: String, metric: String)
        case malformedJSON(String)

        public var description: String {
            switch self {
            case .nonFiniteScore(let model, let task, let metric):
                return "score \(task)/\(metric) of \(model) is not a finite number"
            case .conflictingDirection(let task, let metric):
                return "\(task)/\(metric) was given both as higher-is-better and lower-is-better"
            case .malformedJSON(let detail):
                return "comparison table JSON: \(detail)"
            }
        }
    }

    public static let schemaVersion: Int64 = 1

    public private(set) var models: [String] = []
    public private(set) var columns: [Column] = []
    /// scores[model][column index]
    private var scores: [String: [Int: Double]] = [:]

    public init() {}

    /// Records one score, adding the model and the column when they are new.
    public mutating func set(model: String, task: String, metric: String, value: Double, higherIsBetter: Bool = true) throws {
        guard value.isFinite else { throw TableError.nonFiniteScore(model: model, task: task, metric: metric) }
        let column: Int
        if let existing = columns.firstIndex(where: { $0.task == task && $0.metric == metric }) {
            guard columns[existing].higherIsBetter == higherIsBetter else {
                throw TableError.conflictingDirection(task: task, metric: metric)
            }
            column = existing
        } else {
            // Keep a task's metrics together even when a later model adds a new metric.
            let insertAt = (columns.lastIndex(where: { $0.task == task }).map { $0 + 1 }) ?? columns.count
            columns.insert(Column(task: task, metric: metric, higherIsBetter: higherIsBetter), at: insertAt)
            for model in scores.keys {
                var shifted: [Int: Double] = [:]
                for (index, score) in scores[model] ?? [:] { shifted[index >= insertAt ? index + 1 : index] = score }
                scores[model] = shifted
            }
            column = insertAt
        }
        if !models.contains(model) { models.append(model) }
        scores[model, default: [:]][column] = value
    }

    public func value(model: String, task: String, metric: String) -> Double? {
        guard let column = columns.firstIndex(where: { $0.task == task && $0.metric == metric }) else { return nil }
        return scores[model]?[column]
    }

    /// The models holding the best value of a column (all of them on an exact tie);
    /// empty when no model has a score there.
    public func bestModels(task: String, metric: String) -> [String] {
        guard let column = columns.firstIndex(where: { $0.task == task && $0.metric == metric }) else { return [] }
        return bestModels(column: column)
    }

    private func bestModels(column: Int) -> [String] {
        let present = models.compactMap { model in scores[model]?[column].map { (model, $0) } }
        let values = present.map(\.1)
        guard let best = columns[column].higherIsBetter ? values.max() : values.min() else { return [] }
        return present.filter { $0.1 == best }.map(\.0)
    }

    // MARK: Markdown

    /// A GitHub-flavoured Markdown table: one row per model, one column per task/metric
    /// ("squad2 f1"), values with `decimals` places, the best of each column in bold, "—"
    /// where a model has no score. Cells are padded so the columns line up in plain text.
    public func markdown(decimals: Int = 4) -> String {
        let header = ["model"] + columns.map { "\($0.task) \($0.metric)" + ($0.higherIsBetter ? "" : " ↓") }
        var rows: [[String]] = []
        let best = columns.indices.map { Set(bestModels(column: $0)) }
        for model in models {
            var row = [Self.escapeCell(model)]
            for column in columns.indices {
                if let score = scores[model]?[column] {
                    let text = String(format: "%.\(max(0, decimals))f", score)
                    row.append(best[column].contains(model) ? "**\(text)**" : text)
                } else {
                    row.append("—")
                }
            }
            rows.append(row)
        }
        let widths = header.indices.map { index in
            ([header[index]] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String], numericRightAligned: Bool) -> String {
            let padded = cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return index > 0 && numericRightAligned ? padding + cell : cell + padding
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            index == 0 ? ":" + String(repeating: "-", count: width + 1) : String(repeating: "-", count: width + 1) + ":"
        }.joined(separator: "|") + "|"
        return ([line(header, numericRightAligned: false), rule] + rows.map { line($0, numericRightAligned: true) })
            .joined(separator: "\n") + "\n"
    }

    private static func escapeCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    // MARK: JSON (schema 1, docs/evaluation.md)

    public var json: JSONValue {
        var tasks: [JSONValue] = []
        var taskOrder: [String] = []
        for column in columns where !taskOrder.contains(column.task) { taskOrder.append(column.task) }
        for task in taskOrder {
            let metrics: [JSONValue] = columns.indices.filter { columns[$0].task == task }.map { index in
                .object([
                    "name": .string(columns[index].metric),
                    "higher_is_better": .bool(columns[index].higherIsBetter),
                    "best": .array(bestModels(column: index).map { .string($0) }),
                ])
            }
            tasks.append(.object(["name": .string(task), "metrics": .array(metrics)]))
        }
        var scoreObject: [String: JSONValue] = [:]
        for model in models {
            var byTask: [String: JSONValue] = [:]
            for (index, score) in scores[model] ?? [:] {
                var metrics = byTask[columns[index].task]?.objectValue ?? [:]
                metrics[columns[index].metric] = .double(score)
                byTask[columns[index].task] = .object(metrics)
            }
            scoreObject[model] = .object(byTask)
        }
        return .object([
            "schema": .string("slmflow.comparison_table"),
            "schema_version": .int(Self.schemaVersion),
            "models": .array(models.map { .string($0) }),
            "tasks": .array(tasks),
            "scores": .object(scoreObject),
        ])
    }

    /// Reads a table written by `json` (schema version 1). "best" is recomputed, not trusted.
    public init(json: JSONValue) throws {
        guard json["schema"]?.stringValue == "slmflow.comparison_table" else {
            throw TableError.malformedJSON("schema is not slmflow.comparison_table")
        }
        guard json["schema_version"]?.intValue == Self.schemaVersion else {
            throw TableError.malformedJSON("unsupported schema_version")
        }
        guard let models = json["models"]?.arrayValue?.compactMap(\.stringValue),
              let tasks = json["tasks"]?.arrayValue,
              let scoreObject = json["scores"]?.objectValue else {
            throw TableError.malformedJSON("models, tasks and scores are required")
        }
        self.init()
        self.models = models
        for task in tasks {
            guard let name = task["name"]?.stringValue, let metrics = task["metrics"]?.arrayValue else {
                throw TableError.malformedJSON("a task needs a name and metrics")
            }
            for metric in metrics {
                guard let metricName = metric["name"]?.stringValue,
                      let higherIsBetter = metric["higher_is_better"]?.boolValue else {
                    throw TableError.malformedJSON("a metric of \(name) needs name and higher_is_better")
                }
                columns.append(Column(task: name, metric: metricName, higherIsBetter: higherIsBetter))
            }
        }
        for (model, byTask) in scoreObject {
            guard models.contains(model), let byTask = byTask.objectValue else {
                throw TableError.malformedJSON("scores of unknown model \(model)")
            }
            for (task, metrics) in byTask {
                for (metric, value) in metrics.objectValue ?? [:] {
                    guard let column = columns.firstIndex(where: { $0.task == task && $0.metric == metric }),
                          let number = value.doubleValue, number.isFinite else {
                        throw TableError.malformedJSON("score \(task)/\(metric) of \(model) has no column or is not a number")
                    }
                    scores[model, default: [:]][column] = number
                }
            }
        }
    }
}

extension JSONValue {
    fileprivate subscript(_ key: String) -> JSONValue? { objectValue?[key] }
}
