import ArgumentParser
import Foundation
import SLMCore
import SLMZoo

struct ZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Models with manifests and lineage (zoo/): import, export, inspect, maintain.",
        discussion: "Models are named name[:tag] (tag defaults to latest) or name@sha256:<digest>. See docs/zoo.md.",
        subcommands: [
            ZooPull.self, ZooImport.self, ZooExport.self, ZooList.self, ZooShow.self, ZooLineage.self, ZooDiff.self,
            ZooTag.self, ZooRemove.self, ZooCollect.self, ZooVerify.self,
        ])
}

extension WorkspaceOptions {
    var zoo: ZooStore { ZooStore(workspaceRoot: resolved.root) }
}

struct ZooImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a Hugging Face folder, a .safetensors file, a torch.save checkpoint or a GGUF file.",
        discussion: """
            Pickles are read by an allow-listed reader that never executes them. Quantised GGUF tensors \
            (Q8_0, Q4_0, Q4_1) are stored dequantised as F32.
            """)
    @Argument(help: "The folder or file to import.") var path: String
    @Option(name: .long, help: "name[:tag] to give the model (default: from the file name).") var name: String?
    @Option(name: .long, help: "A config.json for a bare .safetensors or torch checkpoint.") var config: String?
    @Option(name: .customLong("lineage"), help: ArgumentHelp("A parent, relation=target (init, teacher, data, tokenizer, vision-tower, source); repeatable.", valueName: "relation=target"))
    var lineage: [String] = []
    @Option(name: .customLong("metric"), help: ArgumentHelp("A metric, name=value; repeatable.", valueName: "name=value"))
    var metrics: [String] = []
    @OptionGroup var workspace: WorkspaceOptions
    @Flag(name: .long, help: "Print the manifest as JSON.") var json = false

    func run() throws {
        let zoo = workspace.zoo
        let model = try ModelImporter.open(path, configPath: config)
        let reference = try ModelReference.parse(name ?? model.suggestedName)
        guard reference.digestPrefix == nil else { throw ValidationError("--name cannot pin a digest") }
        let annotations = try parseAnnotations(lineage: lineage, metrics: metrics, zoo: zoo)
        let manifest = try zoo.add(model, as: reference, annotations: annotations, slmflowVersion: SLMFlow.version) { line in
            printError(line)
        }
        if json { return try printJSON(manifest) }
        print("imported \(manifest.reference) @\(manifest.digest.short): \(manifest.tensors.count) tensors, \(formatCount(manifest.parameterCount)) parameters")
    }
}

/// `relation=target` lineage edges (targets naming zoo models get their digest) and `name=value` metrics.
func parseAnnotations(lineage: [String], metrics: [String], zoo: ZooStore) throws -> ModelAnnotations {
    var annotations = ModelAnnotations()
    for item in lineage {
        guard let equals = item.firstIndex(of: "="), let relation = ModelManifest.LineageEdge.Relation(rawValue: String(item[..<equals])) else {
            let relations = ModelManifest.LineageEdge.Relation.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--lineage expects relation=target with relation one of \(relations); got '\(item)'")
        }
        let target = String(item[item.index(after: equals)...])
        let parent = try? zoo.resolve(target)
        annotations.lineage.append(.init(relation: relation, target: parent?.reference ?? target, digest: parent?.digest))
    }
    for item in metrics {
        guard let equals = item.firstIndex(of: "="), let value = Double(item[item.index(after: equals)...]) else {
            throw ValidationError("--metric expects name=number; got '\(item)'")
        }
        annotations.metrics[String(item[..<equals])] = value
    }
    return annotations
}

struct ZooExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a model as safetensors (model.safetensors) or a Hugging Face folder.")
    @Argument(help: "The model.") var model: String
    @Option(name: .long, help: "safetensors or hf.") var format: String = "hf"
    @Argument(help: "The folder to write.") var folder: String
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        guard let chosen = ModelExporter.Format(rawValue: format) else {
            throw ValidationError("--format must be safetensors or hf, not '\(format)'")
        }
        let zoo = workspace.zoo
        let manifest = try zoo.resolve(model)
        for path in try ModelExporter.export(manifest, from: zoo, format: chosen, to: folder) { print(path) }
    }
}

func formatCount(_ count: Int) -> String {
    switch count {
    case 1_000_000_000...: String(format: "%.2fB", Double(count) / 1e9)
    case 1_000_000...: String(format: "%.1fM", Double(count) / 1e6)
    case 1_000...: String(format: "%.1fK", Double(count) / 1e3)
    default: "\(count)"
    }
}
