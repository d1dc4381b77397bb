import Foundation
import SLMCore
import SLMData
import SLMFormats
import SLMPipeline

/// `kind: fetch-dataset`: reads a dataset in one of the supported record formats, converts
/// it to normalized records and writes a seeded train/validation/test split.
///
/// The input is a workspace file (`path`), a `file://` URL, or an `http(s)` URL downloaded
/// through SLMFetch (sha256 required; resume, retries, stall timeout: see `DatasetSource`);
/// .gz/.zip/.tar/.tar.gz inputs are unpacked safely and `member` picks the file inside.
public struct FetchDatasetStageKind: StageKind {
    public init() {}

    static let formats = ["seed-jsonl", "jsonl", "squad", "easy-vqa"]

    public let name = "fetch-dataset"
    public let version = 2
    public let summary = "read a dataset (seed JSONL, mapped JSONL, SQuAD, easy-VQA), normalize and split it"
    public let fixedOutputs = ["data"]
    public let parameters: [ParameterSchema] = [
        ParameterSchema("path", .inputPath, default: .null, help: "the dataset file (or easy-VQA folder) in the workspace"),
        ParameterSchema("url", .string, default: .null, help: "https://, http:// or file:// URL of the dataset"),
        ParameterSchema("sha256", .string, default: .null, help: "expected sha256 of the file (required for remote URLs)"),
        ParameterSchema("archive", .string, default: "auto", help: "auto (by the file name), none, gz, zip, tar or tar.gz"),
        ParameterSchema("member", .string, default: .null, help: "the file (or easy-VQA folder) inside the archive"),
        ParameterSchema("retries", .integer, default: 4, help: "download retries after transient failures (back-off doubles)"),
        ParameterSchema("backoff_seconds", .number, default: 0.5, help: "first retry delay"),
        ParameterSchema("stall_seconds", .integer, default: 30, help: "a download with no data for this long fails (and is retried)"),
        ParameterSchema("format", .string, required: true, help: "seed-jsonl, jsonl, squad or easy-vqa"),
        ParameterSchema("source_field", .string, default: "source", help: "jsonl: field of the source (dotted path)"),
        ParameterSchema("target_field", .string, default: "target", help: "jsonl: field of the target (dotted path)"),
        ParameterSchema("template", .string, default: .string(QAPromptTemplate.seed), help: "squad: QA prompt with {question} and {context}"),
        ParameterSchema("unanswerable_target", .string, default: .string(QAPromptTemplate.defaultUnanswerableTarget),
                        help: "squad: target of unanswerable questions"),
        ParameterSchema("seed", .integer, default: 0, help: "split seed"),
        ParameterSchema("validation_fraction", .number, default: 0.1, help: "share of records for validation"),
        ParameterSchema("test_fraction", .number, default: 0.1, help: "share of records for test"),
        ParameterSchema("limit", .integer, default: .null, help: "keep at most this many records (after the seeded shuffle)"),
    ]

    public func validate(_ parameters: [String: JSONValue], locations: [String: SourceLocation]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let p = StageParameters(values: parameters)
        if p.isSet("path") == p.isSet("url") {
            problems.append(Diagnostic("give exactly one of 'path' and 'url'", at: locations["path"] ?? locations["url"]))
        }
        if let url = p.optionalString("url") {
            if DatasetSource.isRemote(url) {
                if !p.isSet("sha256") {
                    problems.append(Diagnostic("a remote 'url' needs a 'sha256' (64 hex digits) so the download can be verified",
                                               at: locations["url"]))
                }
            } else if !url.hasPrefix("file://") {
                problems.append(Diagnostic("'url' must start with https://, http:// or file://", at: locations["url"]))
            }
        }
        if let digest = p.optionalString("sha256"), Digest(hex: digest.lowercased()) == nil {
            problems.append(Diagnostic("'sha256' must be 64 hex digits", at: locations["sha256"]))
        }
        checkChoice(parameters, "format", Self.formats, locations: locations, into: &problems)
        checkChoice(parameters, "archive", ["auto", "none"] + ArchiveUnpacker.Format.allCases.map(\.rawValue), locations: locations, into: &problems)
        checkRange(parameters, "retries", 0...20, locations: locations, into: &problems)
        checkRange(parameters, "backoff_seconds", 0...60, locations: locations, into: &problems)
        checkRange(parameters, "stall_seconds", 1...3600, locations: locations, into: &problems)
        checkRange(parameters, "validation_fraction", 0...0.9, locations: locations, into: &problems)
        checkRange(parameters, "test_fraction", 0...0.9, locations: locations, into: &problems)
        checkRange(parameters, "limit", 1...Double(Int32.max), locations: locations, into: &problems)
        return problems
    }

    public func run(_ invocation: StageInvocation) throws -> StageOutcome {
        let p = StageParameters(values: invocation.parameters)
        guard let folder = invocation.outputs["data"] else { throw StageFailure("fetch-dataset: no 'data' output path") }
        let source = DatasetSource(parameters: p, stateDirectory: invocation.stateDirectory, progress: invocation.progress)
        let path = try source.resolve(localPath: invocation.inputs["path"]?.first)
        let format = p.string("format", "seed-jsonl")
        let seed = UInt64(bitPattern: Int64(p.int("seed", 0)))
        let limit = p.isSet("limit") ? p.int("limit", 0) : nil
        let validation = p.double("validation_fraction", 0.1), test = p.double("test_fraction", 0.1)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var metrics: [String: JSONValue] = [:]
        do {
            switch format {
            case "squad":
                let template = try QAPromptTemplate(template: p.string("template", QAPromptTemplate.seed),
                                                    unanswerableTarget: p.string("unanswerable_target", QAPromptTemplate.defaultUnanswerableTarget))
                let records = try DatasetReaders.squad(path)
                let split = try DatasetSplit(records, validationFraction: validation, testFraction: test, seed: seed, limit: limit)
                try write(split, to: folder, metrics: &metrics) { template.pair($0) }
                for (name, part) in [("train", split.train), ("validation", split.validation), ("test", split.test)] {
                    try DatasetReaders.writeJSONL(part, to: folder + "/\(name).qa.jsonl")
                }
                metrics["unanswerable"] = .int(Int64(records.filter(\.isImpossible).count))
            case "easy-vqa":
                let records = try DatasetReaders.easyVQA(folder: path)
                let split = try DatasetSplit(records, validationFraction: validation, testFraction: test, seed: seed, limit: limit)
                try write(split, to: folder, metrics: &metrics) { ImageTextPair(source: $0.question, target: $0.answer, image: $0.imagePath) }
            default:
                let pairs = format == "jsonl"
                    ? try DatasetReaders.textPairs(jsonl: path, sourceField: p.string("source_field", "source"),
                                                   targetField: p.string("target_field", "target"))
                    : try DatasetReaders.textPairs(jsonl: path)
                let split = try DatasetSplit(pairs, validationFraction: validation, testFraction: test, seed: seed, limit: limit)
                try write(split, to: folder, metrics: &metrics) { $0 }
            }
        } catch let error as DatasetError {
            throw StageFailure("fetch-dataset: \(error.message)")
        }
        return StageOutcome(metrics: metrics)
    }

    private func write<Record, Output: Encodable>(_ split: DatasetSplit<Record>, to folder: String, metrics: inout [String: JSONValue],
                                                  convert: (Record) -> Output) throws {
        for (name, part) in [("train", split.train), ("validation", split.validation), ("test", split.test)] {
            try DatasetReaders.writeJSONL(part.map(convert), to: folder + "/\(name).jsonl")
            metrics["\(name)_records"] = .int(Int64(part.count))
        }
    }
}

/// A normalized image question: the text pair plus the image's path.
struct ImageTextPair: Encodable {
    let source: String
    let target: String
    let image: String
}
