import Foundation
import SLMCore
import SLMText

/// Writes a zoo model as a standard safetensors file, or as a Hugging Face folder
/// (config.json, model.safetensors, tokenizer.json when the model has a tokenizer that can be
/// written as one: a tokenizer.json, or GGUF metadata of a byte-level BPE).
/// Tensors keep their stored dtype and bytes, so exporting and importing again gives the
/// same digests. Tied tensors are written as copies under both names (what a strict
/// `load_state_dict` of a seed checkpoint expects); the config is written as stored.
public enum ModelExporter {
    public enum Format: String, CaseIterable, Sendable { case safetensors, hf }

    /// Returns the paths written. `note` hears why a tokenizer the model has was not written.
    @discardableResult
    public static func export(_ manifest: ModelManifest, from zoo: ZooStore, format: Format, to folder: String,
                              note: ((String) -> Void)? = nil) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = folder + "/model.safetensors"
        try writeSafetensors(manifest, from: zoo, to: weights)
        guard format == .hf else { return [weights] }
        var written = [weights]
        let configPath = folder + "/config.json"
        try AtomicFile.write(try JSONFiles.encode(manifest.config), to: configPath)
        written.append(configPath)
        do {
            if let bytes = try tokenizerJSON(manifest, from: zoo) {
                let path = folder + "/tokenizer.json"
                try AtomicFile.write(bytes, to: path)
                written.append(path)
            }
        } catch let error as TokenizerError {
            note?("no tokenizer.json written: \(error.message)")
        }
        return written
    }

    /// The model's tokenizer as tokenizer.json bytes: stored ones as they are, GGUF metadata
    /// converted (`GGUFTokenizer.tokenizerJSON`); nil when the model has no tokenizer. A
    /// tokenizer that cannot be written as tokenizer.json is a TokenizerError saying why.
    public static func tokenizerJSON(_ manifest: ModelManifest, from zoo: ZooStore) throws -> [UInt8]? {
        guard let tokenizer = manifest.tokenizer else { return nil }
        switch tokenizer.format {
        case "hf-tokenizer-json": return try zoo.blobs.read(tokenizer.digest)
        case "gguf-metadata":
            let text = try GGUFTokenizer.tokenizerJSON(metadataJSON: try zoo.blobs.read(tokenizer.digest),
                                                       source: "the GGUF tokenizer of \(manifest.reference)")
            return Array(text.utf8)
        default: throw TokenizerError("tokenizer format '\(tokenizer.format)' of \(manifest.reference) cannot be written as tokenizer.json")
        }
    }

    /// A safetensors file in the stored dtypes, tensors in name order, metadata naming the model.
    public static func writeSafetensors(_ manifest: ModelManifest, from zoo: ZooStore, to path: String) throws {
        let tensors = manifest.tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var header: [String: JSONValue] = [
            "__metadata__": .object(["format": "pt", "slmflow_model": .string(manifest.reference), "slmflow_digest": .string(manifest.digest.hex)]),
        ]
        var offset = 0
        for tensor in tensors {
            header[tensor.name] = .object([
                "dtype": .string(tensor.dtype), "shape": .array(tensor.shape.map { .int(Int64($0)) }),
                "data_offsets": .array([.int(Int64(offset)), .int(Int64(offset + tensor.bytes))]),
            ])
            offset += tensor.bytes
        }
        var headerBytes = Array(JSONValue.object(header).canonicalText.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes += $0 }
        bytes += headerBytes
        for tensor in tensors {
            let data = try zoo.blobs.read(tensor.digest)
            guard data.count == tensor.bytes else {
                throw ZooError.corrupt("tensor '\(tensor.name)' of \(manifest.reference) has \(data.count) bytes, its manifest says \(tensor.bytes)")
            }
            bytes += data
        }
        try AtomicFile.write(bytes, to: path)
    }
}
