import Foundation
import SLMCore
import SLMData
import SLMPipeline

/// `kind: synth-qa`: synthetic SQuAD-2.0-style extractive QA (SLMData's `SyntheticQA`),
/// split by seed and written as `data/{train,validation,test}.jsonl` (source/target pairs
/// through the QA prompt template) and `data/{split}.qa.jsonl` (the QA records with spans).
public struct SynthQAStageKind: StageKind {
    public init() {}

    public let name = "synth-qa"
    public let version = 1
    public let summary = "generate synthetic extractive QA (invented entities; answers are context spans)"
    public let fixedOutputs = ["data"]
    public let parameters: [ParameterSchema] = [
        ParameterSchema("seed", .integer, default: 0, help: "generator and split seed"),
        ParameterSchema("records", .integer, default: 2000, help: "number of QA records before the split"),
        ParameterSchema("facts_per_context", .integer, default: 4, help: "facts stated in each context (1–8)"),
        ParameterSchema("filler_sentences", .integer, default: 0, help: "extra sentences per context, to make long inputs"),
        ParameterSchema("unanswerable_fraction", .number, default: 0.33, help: "share of questions the context does not answer"),
        ParameterSchema("validation_fraction", .number, default: 0.1, help: "share of records for validation"),
        ParameterSchema("test_fraction", .number, default: 0.1, help: "share of records for test"),
        ParameterSchema("template", .string, default: .string(QAPromptTemplate.seed), help: "QA prompt with {question} and {context}"),
        ParameterSchema("unanswerable_target", .string, default: .string(QAPromptTemplate.defaultUnanswerableTarget),
                        help: "target text of unanswerable questions"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        checkRange(parameters, "records", 1...10_000_000, locations: locations, into: &problems)
        checkRange(parameters, "facts_per_context", 1...8, locations: locations, into: &problems)
        checkRange(parameters, "filler_sentences", 0...10_000, locations: locations, into: &problems)
        checkRange(parameters, "unanswerable_fraction", 0...1, locations: locations, into: &problems)
        checkRange(parameters, "validation_fraction", 0...0.9, locations: locations, into: &problems)
        checkRange(parameters, "test_fraction", 0...0.9, locations: locations, into: &problems)
        if let template = parameters["template"]?.stringValue, !template.contains("{question}") {
            problems.append(Diagnostic("'template' must contain {question}", at: locations["template"]))
        }
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        let p = StageParameters(values: invocation.parameters)
        guard let folder = invocation.outputs["data"] else { throw StageFailure("synth-qa: no 'data' output path") }
        let seed = UInt64(bitPattern: Int64(p.int("seed", 0)))
        let generator: SyntheticQA
        let template: QAPromptTemplate
        let split: DatasetSplit<QARecord>
        do {
            generator = try SyntheticQA(seed: seed, factsPerContext: p.int("facts_per_context", 4),
                                        fillerSentences: p.int("filler_sentences", 0),
                                        unanswerableFraction: p.double("unanswerable_fraction", 0.33))
            template = try QAPromptTemplate(template: p.string("template", QAPromptTemplate.seed),
                                            unanswerableTarget: p.string("unanswerable_target", QAPromptTemplate.defaultUnanswerableTarget))
            split = try DatasetSplit(generator.generate(count: p.int("records", 2000)),
                                     validationFraction: p.double("validation_fraction", 0.1),
                                     testFraction: p.double("test_fraction", 0.1), seed: seed)
        } catch let error as DatasetError {
            throw StageFailure("synth-qa: \(error.message)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var metrics: [String: JSONValue] = [:]
        for (name, records) in [("train", split.train), ("validation", split.validation), ("test", split.test)] {
            try DatasetReaders.writeJSONL(records.map(template.pair), to: folder + "/\(name).jsonl")
            try DatasetReaders.writeJSONL(records, to: folder + "/\(name).qa.jsonl")
            metrics["\(name)_records"] = .int(Int64(records.count))
        }
        let all = split.train + split.validation + split.test
        metrics["unanswerable"] = .int(Int64(all.filter(\.isImpossible).count))
        metrics["mean_context_chars"] = .double(all.isEmpty ? 0 : Double(all.map(\.context.count).reduce(0, +)) / Double(all.count))
        invocation.progress("\(all.count) records")
        return StageOutcome(metrics: metrics)
    }
}
