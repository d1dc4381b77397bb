import Foundation
import SLMCore
import SLMPipeline
import SLMZoo

/// Registers a trained model folder in the workspace's zoo (`zoo/` under the workspace root)
/// as `<pipeline>-<stage>:latest`, with lineage (`data`: the shards; `tokenizer`: theirs; `init`: the model it was
/// fine-tuned from), the producer (pipeline, stage, key, params, seed, version) and metrics.
///
/// Idempotent: when `<pipeline>-<stage>:latest` already records this stage key as its
/// producer, nothing is written (the key fixes data, params and seed, so the weights too).
enum TrainZooRegistration {
    /// The version recorded as the producer's `slmflow_version` (the command line's version).
    static let slmflowVersion = SLMFlowVersion.current

    static func modelName(pipeline: String, stage: String) -> String { "\(pipeline)-\(stage)" }

    /// Returns the reference it registered (`name:tag@sha256:<short>`).
    /// `initInput` names the input whose model this one started from (`init` for train,
    /// `student` for distill); `teacher` is the distill teacher's model folder.
    static func register(modelFolder: String, invocation: StageInvocation, shards: TokenShards,
                         metrics: [String: JSONValue], seed: UInt64, stage: String,
                         initInput: String = "init", teacher: String? = nil) throws -> String {
        let store = ZooStore(workspaceRoot: invocation.workspace)
        do {
            let reference = try ModelReference(name: modelName(pipeline: invocation.pipeline, stage: invocation.stage))
            if let existing = try? store.resolve(reference.taggedName), existing.producer?.key == invocation.key.hex {
                return "\(existing.reference)@sha256:\(existing.digest.short)"
            }
            var annotations = ModelAnnotations()
            annotations.lineage.append(.init(relation: .data, target: invocation.relative(shards.folder),
                                             digest: try shards.contentDigest()))
            if let tokenizer = shards.tokenizerPath {
                annotations.lineage.append(.init(relation: .tokenizer, target: invocation.relative(tokenizer),
                                                 digest: shards.tokenizerDigest))
            }
            if let initFolder = invocation.inputs[initInput]?.first {
                annotations.lineage.append(modelEdge(initFolder, relation: .initialization, store: store, invocation: invocation))
            }
            if let teacher {
                annotations.lineage.append(modelEdge(teacher, relation: .teacher, store: store, invocation: invocation))
            }
            for (name, value) in metrics {
                if let number = value.doubleValue, name != "steps" { annotations.metrics[name] = number }
            }
            annotations.producer = .init(
                pipeline: invocation.pipeline, stage: invocation.stage, key: invocation.key.hex,
                params: .object(invocation.parameters), seed: Int64(clamping: seed), slmflowVersion: slmflowVersion)
            var imported = try ModelImporter.open(modelFolder)
            // Workspace-relative, like the other edges: the zoo outlives where the workspace sits.
            imported.source.location = invocation.relative(modelFolder)
            let manifest = try store.add(imported, as: reference, annotations: annotations, slmflowVersion: slmflowVersion)
            return "\(manifest.reference)@sha256:\(manifest.digest.short)"
        } catch {
            throw StageFailure("\(stage): registering the model in the zoo (\(store.root)): \(error)")
        }
    }

    /// An `init` or `teacher` edge: the zoo model the stage that wrote `folder` registered, when
    /// it is there; else the folder.
    private static func modelEdge(_ folder: String, relation: ModelManifest.LineageEdge.Relation, store: ZooStore,
                                  invocation: StageInvocation) -> ModelManifest.LineageEdge {
        let initStage = ((folder as NSString).deletingLastPathComponent as NSString).lastPathComponent
        if let manifest = try? store.resolve(modelName(pipeline: invocation.pipeline, stage: initStage)) {
            return .init(relation: relation, target: "\(manifest.reference)@sha256:\(manifest.digest.hex)", digest: manifest.digest)
        }
        return .init(relation: relation, target: invocation.relative(folder))
    }
}
