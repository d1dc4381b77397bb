import ArgumentParser
import Foundation
import SLMText
import SLMZoo

let tokenizerSourceHelp = "A tokenizer.json, a GGUF file, a model folder holding tokenizer.json, or a zoo model (name[:tag] or digest prefix)."

/// Loads `--tokenizer`, trying in order: an existing path (a folder's tokenizer.json; a file
/// starting with the GGUF magic is read as GGUF, any other as tokenizer.json), then a model
/// of the workspace's zoo (its tokenizer blob, by digest: tokenizer.json bytes or GGUF
/// metadata). Errors name the file or the model.
func loadTokenizer(_ source: String, workspace: WorkspaceOptions? = nil) throws -> Tokenizer {
    do {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                let file = source + "/tokenizer.json"
                guard FileManager.default.fileExists(atPath: file) else {
                    throw ValidationError("the folder '\(source)' holds no tokenizer.json")
                }
                return try Tokenizer.load(contentsOf: file)
            }
            return isGGUF(source) ? try GGUFTokenizer.load(ggufPath: source) : try Tokenizer.load(contentsOf: source)
        }
        guard let workspace else { throw ValidationError("no tokenizer file or folder at '\(source)'") }
        return try zooTokenizer(source, zoo: ZooStore(workspaceRoot: workspace.resolved.root))
    } catch let error as TokenizerError {
        throw ValidationError(error.message)
    }
}

private func isGGUF(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    return handle.readData(ofLength: 4) == Data("GGUF".utf8)
}

private func zooTokenizer(_ reference: String, zoo: ZooStore) throws -> Tokenizer {
    let manifest: ModelManifest
    do {
        manifest = try zoo.resolve(reference)
    } catch {
        throw ValidationError("'\(reference)' is neither a file or folder nor a model of the zoo at \(zoo.root) (\(error))")
    }
    guard let entry = manifest.tokenizer else {
        throw ValidationError("the zoo model '\(reference)' (\(manifest.name)) carries no tokenizer")
    }
    let bytes = try zoo.blobs.read(entry.digest)
    let source = "zoo model \(manifest.name) tokenizer sha256:\(entry.digest.hex.prefix(12))"
    switch entry.format {
    case "hf-tokenizer-json": return try Tokenizer.load(json: String(decoding: bytes, as: UTF8.self), name: source)
    case "gguf-metadata": return try GGUFTokenizer.load(metadataJSON: bytes, source: source)
    default: throw ValidationError("\(source): tokenizer format '\(entry.format)' is not supported")
    }
}
