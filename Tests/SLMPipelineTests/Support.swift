import Foundation
import SLMCore

@testable import SLMPipeline

/// A fake stage kind that counts its executions. It writes `out` from its `value`
/// param and the content of its inputs; with `constant: true` it writes the same bytes
/// whatever its inputs (to test early cutoff); with `fail: true` it fails.
final class CountingKind: StageKind, @unchecked Sendable {
    let name = "count"
    let version = 1
    let summary = "test kind that counts runs"
    let parameters: [ParameterSchema] = [
        ParameterSchema("value", .any, default: .null, help: "any value"),
        ParameterSchema("from", .list(.stageOutput), default: [], help: "stages to read"),
        ParameterSchema("files", .list(.inputPath), default: [], help: "files to read"),
        ParameterSchema("constant", .boolean, default: false, help: "ignore inputs"),
        ParameterSchema("fail", .boolean, default: false, help: "fail"),
    ]
    let fixedOutputs = ["out"]

    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func runs(_ stage: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[stage, default: 0]
    }

    var totalRuns: Int {
        lock.lock()
        defer { lock.unlock() }
        return counts.values.reduce(0, +)
    }

    func run(_ invocation: StageInvocation) throws -> StageOutcome {
        lock.lock()
        counts[invocation.stage, default: 0] += 1
        lock.unlock()
        if invocation.parameters["fail"] == .bool(true) { throw StageFailure("asked to fail") }
        var text = "value=\(invocation.parameters["value"]?.canonicalText ?? "")\n"
        if invocation.parameters["constant"] != .bool(true) {
            for parameter in ["from", "files"] {
                for path in invocation.inputs[parameter] ?? [] {
                    text += (try? String(contentsOfFile: path, encoding: .utf8)) ?? "?"
                }
            }
        }
        try text.write(toFile: invocation.outputs["out"]!, atomically: false, encoding: .utf8)
        return StageOutcome(metrics: ["length": .int(Int64(text.count))])
    }
}

/// A temporary workspace with a pipeline file in it.
struct Sandbox {
    let root: String
    let kind = CountingKind()

    init() throws {
        root = NSTemporaryDirectory() + "slm-pipeline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    var workspace: Workspace { Workspace(root: root) }
    var pipelinePath: String { root + "/p.yaml" }
    var registry: StageKindRegistry {
        var registry = StageKindRegistry.core
        registry.register(kind)
        return registry
    }

    func write(_ yaml: String, to name: String = "p.yaml") throws {
        try yaml.write(toFile: root + "/" + name, atomically: true, encoding: .utf8)
    }

    func load(_ overrides: [(String, String)] = [], file: String = "p.yaml") throws -> Pipeline {
        try PipelineLoader(registry: registry, workspace: root).load(root + "/" + file, overrides: overrides)
    }

    @discardableResult
    func run(_ overrides: [(String, String)] = [], configure: (inout RunOptions) -> Void = { _ in }) throws -> RunReport {
        var options = RunOptions()
        configure(&options)
        return try Runner(pipeline: try load(overrides), workspace: workspace, options: options, observer: nil).run()
    }

    func read(_ relative: String) -> String? {
        try? String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

extension RunReport {
    func status(_ stage: String) -> StageStatus? { stages.first { $0.name == stage }?.status }
    func stage(_ name: String) -> StageReport? { stages.first { $0.name == name } }
    var ran: Set<String> { Set(stages.filter { $0.status == .ran }.map(\.name)) }
}

/// Expects loading to fail, and returns the diagnostics.
func diagnostics(of yaml: String) throws -> [Diagnostic] {
    let sandbox = try Sandbox()
    defer { sandbox.remove() }
    try sandbox.write(yaml)
    do {
        _ = try sandbox.load()
    } catch let error as PipelineError {
        return error.diagnostics
    }
    return []
}
