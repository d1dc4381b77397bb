import ArgumentParser
import Foundation
import SLMModels
import SLMZoo

/// The model a command runs: a model folder as given; a checkpoint file (a torch.save `.pt`/
/// `.bin`, a `.safetensors` file, a GGUF), read by the zoo's importers; or a model of the
/// workspace's zoo (`name`, `name:tag`, `name@sha256:<hex>`, resolved by `ZooStore.resolve`).
/// The last two are written out as a Hugging Face folder (`ModelExporter`) into a temporary
/// folder that `close()` removes. An existing folder or file wins over a zoo name; text that
/// is not a zoo name stays a folder path, so its errors are the folder's ("no config.json").
struct ModelLocation {
    let folder: String
    /// Whether `folder` holds a tokenizer.json (a zoo model's or a GGUF's tokenizer is written
    /// there when it can be).
    var hasTokenizer: Bool { ModelFolder.hasTokenizer(folder) }
    private let temporary: String?

    /// - Parameter config: a config.json for a checkpoint file that carries none.
    init(_ text: String, workspace: WorkspaceOptions, config: String? = nil) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            folder = try Self.checkpoint(text, config: config)
            temporary = folder
            return
        }
        if config != nil { throw ValidationError("--config is for a checkpoint file; '\(text)' is not one") }
        guard !(exists && isDirectory.boolValue), (try? ModelReference.parse(text)) != nil else {
            (folder, temporary) = (text, nil)
            return
        }
        let zoo = workspace.zoo
        let manifest: ModelManifest
        do { manifest = try zoo.resolve(text) } catch {
            throw ValidationError("'\(text)' is neither a model folder nor a model of the zoo at \(zoo.root) (\(error))")
        }
        folder = try Self.scratchFolder(failure: { "writing the zoo model \(manifest.reference) out to \($0)" }) { scratch in
            try ModelExporter.export(manifest, from: zoo, format: .hf, to: scratch, durable: false) { printError("note: \($0)") }
        }
        temporary = folder
    }

    /// Reads a checkpoint file with the zoo's importers (their checks, tied tensors, GGUF
    /// tokenizers) and writes it out as a folder, uncompressed.
    private static func checkpoint(_ path: String, config: String?) throws -> String {
        try scratchFolder(failure: { _ in "reading the checkpoint \(path)" }) { scratch in
            let imported = try ModelImporter.open(path, configPath: config)
            guard imported.architecture != "unknown" else {
                throw ValidationError("it carries no model config (a model_type, or the seed's MuConfig fields): give one with --config")
            }
            try ModelExporter.export(imported, to: scratch, durable: false) { printError("note: \($0)") }
        }
    }

    /// A new temporary folder that `write` fills; removed again, and the error prefixed with
    /// `failure(folder)`, when it throws.
    private static func scratchFolder(failure: (String) -> String, _ write: (String) throws -> Void) throws -> String {
        let scratch = NSTemporaryDirectory() + "slmflow-model-\(UUID().uuidString)"
        do {
            try write(scratch)
            return scratch
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw ValidationError("\(failure(scratch)): \(error)")
        }
    }

    func close() {
        if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
    }
}
