import Foundation
import SLMCore
import SLMZoo

/// Writes a model's evaluation scores into its workspace-zoo manifest, under
/// `eval/<pipeline>/<task>/<metric>`.
///
/// The zoo model of a model folder `out/<pipeline>/<stage>/model` is `<pipeline>-<stage>`
/// (how train registers it), used only when its manifest's producer is that pipeline and
/// stage. Idempotent: a manifest that already holds exactly these values is not rewritten.
/// Other metrics in the manifest are kept.
enum EvaluationZooMetrics {
    static func key(pipeline: String, task: String, metric: String) -> String { "eval/\(pipeline)/\(task)/\(metric)" }

    /// The zoo model name the producing stage registered, when the folder is a stage's `model` output.
    static func zooName(modelFolder: String, pipeline: String) -> (name: String, stage: String)? {
        let url = URL(fileURLWithPath: modelFolder).standardizedFileURL
        guard url.lastPathComponent == "model" else { return nil }
        let stageURL = url.deletingLastPathComponent()
        guard stageURL.deletingLastPathComponent().lastPathComponent == pipeline else { return nil }
        let stage = stageURL.lastPathComponent
        return ("\(pipeline)-\(stage)", stage)
    }

    /// Returns the zoo reference it updated (or found up to date); nil when the model is not
    /// in the workspace zoo.
    static func record(_ scores: [TaskScore], task: String, modelFolder: String, pipeline: String,
                       workspace: String) throws -> String? {
        guard let (name, stage) = zooName(modelFolder: modelFolder, pipeline: pipeline) else { return nil }
        let store = ZooStore(workspaceRoot: workspace)
        guard var manifest = try? store.resolve(name),
              manifest.producer?.pipeline == pipeline, manifest.producer?.stage == stage else { return nil }
        var changed = false
        for score in scores {
            let k = key(pipeline: pipeline, task: task, metric: score.metric)
            if manifest.metrics[k] != score.value {
                manifest.metrics[k] = score.value
                changed = true
            }
        }
        if changed { try store.save(manifest) }
        return manifest.reference
    }
}
