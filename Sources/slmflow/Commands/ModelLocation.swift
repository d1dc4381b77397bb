import ArgumentParser
import Foundation
import SLMModels
import SLMZoo

/// The model a command runs: a model folder as given, or a model of the workspace's zoo
/// (`name`, `name:tag`, `name@sha256:<hex>`, resolved by `ZooStore.resolve`) written out as a
/// Hugging Face folder (`ModelExporter`) into a temporary folder that `close()` removes.
/// An existing folder wins over a zoo name; text that is not a zoo name stays a folder path,
/// so its errors are the folder's ("no config.json").
struct ModelLocation {
    let folder: String
    /// Whether the model carries a tokenizer (tokenizer.json, or a zoo tokenizer blob).
    let hasTokenizer: Bool
    private let temporary: String?

    init(_ text: String, workspace: WorkspaceOptions) throws {
        var isDirectory: ObjCBool = false
        guard !(FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) && isDirectory.boolValue),
              (try? ModelReference.parse(text)) != nil else {
            (folder, hasTokenizer, temporary) = (text, ModelFolder.hasTokenizer(text), nil)
            return
        }
        let zoo = workspace.zoo
        let manifest: ModelManifest
        do { manifest = try zoo.resolve(text) } catch {
            throw ValidationError("'\(text)' is neither a model folder nor a model of the zoo at \(zoo.root) (\(error))")
        }
        let scratch = NSTemporaryDirectory() + "slmflow-model-\(UUID().uuidString)"
        do {
            try ModelExporter.export(manifest, from: zoo, format: .hf, to: scratch)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw ValidationError("writing the zoo model \(manifest.reference) out to \(scratch): \(error)")
        }
        (folder, hasTokenizer, temporary) = (scratch, manifest.tokenizer != nil, scratch)
    }

    func close() {
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
    }
}
