import ArgumentParser
import Foundation
import SLMCore
import SLMZoo

struct ZooList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The models in the zoo.")
    @OptionGroup var workspace: WorkspaceOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    struct Row: Encodable {
        let name: String, tag: String, digest: String, architecture: String
        let parameterCount: Int, logicalBytes: Int, created: String
    }

    func run() throws {
        let (models, problems) = workspace.zoo.manifests()
        for problem in problems { printError("warning: \(problem)") }
        let rows = models.map {
            Row(name: $0.name, tag: $0.tag, digest: $0.digest.hex, architecture: $0.architecture,
                parameterCount: $0.parameterCount, logicalBytes: $0.logicalBytes, created: $0.created)
        }
        if json { return try printJSON(rows) }
        if rows.isEmpty { return print("the zoo is empty (\(workspace.zoo.root))") }
        let width = max(12, rows.map { $0.name.count + $0.tag.count + 1 }.max() ?? 0)
        print("MODEL".padding(toLength: width, withPad: " ", startingAt: 0) + "  DIGEST        PARAMS    SIZE        ARCHITECTURE")
        for row in rows {
            let model = (row.name + ":" + row.tag).padding(toLength: width, withPad: " ", startingAt: 0)
            let params = formatCount(row.parameterCount).padding(toLength: 8, withPad: " ", startingAt: 0)
            let size = bytes(Int64(row.logicalBytes)).padding(toLength: 10, withPad: " ", startingAt: 0)
            print("\(model)  \(row.digest.prefix(12))  \(params)  \(size)  \(row.architecture)")
        }
    }
}

struct ZooShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A model's manifest: config, parameters, tensors, metrics, lineage, sizes.")
    @Argument(help: "The model.") var model: String
    @OptionGroup var workspace: WorkspaceOptions
    @Flag(name: .long, help: "Print the manifest as JSON.") var json = false

    func run() throws {
        let zoo = workspace.zoo
        let manifest = try zoo.resolve(model)
        if json { return try printJSON(manifest) }
        print("\(manifest.reference)  sha256:\(manifest.digest.hex)")
        print("architecture  \(manifest.architecture)")
        print("parameters    \(formatCount(manifest.parameterCount)) (\(manifest.parameterCount))")
        print("size          \(bytes(Int64(manifest.logicalBytes))) logical, \(bytes(zoo.storedBytes(of: manifest))) on disk")
        var dtypes: [String: Int] = [:]
        for tensor in manifest.tensors { dtypes[tensor.dtype, default: 0] += 1 }
        let tied = manifest.tensors.filter { $0.tiedTo != nil }.map { "\($0.name) → \($0.tiedTo ?? "")" }
        print("tensors       \(manifest.tensors.count) (\(dtypes.keys.sorted().map { "\(dtypes[$0] ?? 0) \($0)" }.joined(separator: ", ")))"
              + (tied.isEmpty ? "" : "; tied: " + tied.joined(separator: ", ")))
        if let tokenizer = manifest.tokenizer { print("tokenizer     \(tokenizer.format) sha256:\(tokenizer.digest.short) (\(bytes(Int64(tokenizer.bytes))))") }
        if let source = manifest.source {
            print("source        \(source.location) (\(source.format))" + (source.license.map { ", license \($0)" } ?? ""))
        }
        print("created       \(manifest.created)" + (manifest.producer.map { " by slmflow \($0.slmflowVersion)" } ?? ""))
        if let producer = manifest.producer, producer.pipeline != nil || producer.stage != nil {
            print("produced by   pipeline \(producer.pipeline ?? "-") stage \(producer.stage ?? "-") key \(producer.key ?? "-")")
        }
        for key in manifest.metrics.keys.sorted() { print("metric        \(key) = \(manifest.metrics[key] ?? 0)") }
        for edge in manifest.lineage { print("lineage       \(edge.relation.rawValue): \(edge.target)" + (edge.digest.map { " @\($0.short)" } ?? "")) }
        print("config        \(manifest.config.canonicalText)")
    }
}

struct ZooLineage: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lineage", abstract: "Where a model came from (or, with --descendants, what was made from it).")
    @Argument(help: "The model.") var model: String
    @Flag(name: .long, help: "Show the models made from this one instead of its ancestors.") var descendants = false
    @Option(name: .long, help: "tree, dot, mermaid or json.") var format: String = "tree"
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        guard let chosen = LineageGraph.Format(rawValue: format) else {
            throw ValidationError("--format must be one of tree, dot, mermaid, json; not '\(format)'")
        }
        let zoo = workspace.zoo
        let root = try zoo.resolve(model)
        let graph = LineageGraph(models: zoo.manifests().models)
        let node = descendants ? graph.descendants(of: root) : graph.ancestors(of: root)
        print(LineageGraph.render(node, format: chosen, ancestors: !descendants))
    }
}

struct ZooDiff: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare two models: config, parameters, metrics, shared tensors.")
    @Argument(help: "The first model.") var first: String
    @Argument(help: "The second model.") var second: String
    @OptionGroup var workspace: WorkspaceOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let zoo = workspace.zoo
        let diff = ModelDiff(try zoo.resolve(first), try zoo.resolve(second))
        if json { return try printJSON(diff) }
        print("\(diff.first) vs \(diff.second)")
        print(diff.sameContent ? "same content digest" : "different content")
        for change in diff.configChanges { print("config  \(change.key): \(change.first ?? "—") → \(change.second ?? "—")") }
        print("params  \(diff.parameterCounts[0]) → \(diff.parameterCounts[1])")
        for change in diff.metricChanges { print("metric  \(change.key): \(change.first ?? "—") → \(change.second ?? "—")") }
        print("tensors \(diff.sharedTensors) shared, \(diff.changedTensors.count) changed, \(diff.onlyInFirst.count) only in \(diff.first), \(diff.onlyInSecond.count) only in \(diff.second)")
        for name in diff.changedTensors.prefix(20) { print("  changed \(name)") }
    }
}
