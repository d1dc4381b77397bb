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
    /// `durable: false` skips fsync for a scratch folder that the process removes.
    @discardableResult
    public static func export(_ manifest: ModelManifest, from zoo: ZooStore, format: Format, to folder: String,
                              durable: Bool = true, note: ((String) -> Void)? = nil) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = folder + "/model.safetensors"
        try writeSafetensors(manifest, from: zoo, to: weights, durable: durable)
        guard format == .hf else { return [weights] }
        return [weights] + (try writeConfigAndTokenizer(manifest.config, to: folder, note: note) {
            try tokenizerJSON(manifest, from: zoo)
        })
    }

    /// Writes a model read from a checkpoint (`ModelImporter.open`) as a Hugging Face folder
    /// directly, without the zoo's compressed store: what `slmflow generate FILE` loads. The
    /// tensors are read once, held until the header is known, then streamed out.
    @discardableResult
    public static func export(_ model: ImportedModel, to folder: String, durable: Bool = true,
                              note: ((String) -> Void)? = nil) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = folder + "/model.safetensors"
        var loaded: [String: [UInt8]] = [:]
        var sources: [TensorSource] = []
        for name in model.tensorNames {
            let tensor = try model.checkedTensor(name)
            loaded[name] = tensor.bytes
            sources.append(TensorSource(name: name, dtype: tensor.dtype.rawValue, shape: tensor.shape, bytes: tensor.bytes.count) {
                loaded.removeValue(forKey: name) ?? []
            })
        }
        try writeSafetensors(sources, metadata: ["format": "pt", "slmflow_source": .string(model.source.location)],
                             to: weights, durable: durable)
        return [weights] + (try writeConfigAndTokenizer(model.config, to: folder, note: note) {
            try model.tokenizer.map { try tokenizerJSON(format: $0.format, bytes: $0.bytes, source: model.source.location) }
        })
    }

    /// config.json, then tokenizer.json when the model has one that can be written (a
    /// TokenizerError goes to `note`: the folder is still usable with token ids).
    private static func writeConfigAndTokenizer(_ config: JSONValue, to folder: String, note: ((String) -> Void)?,
                                                tokenizer: () throws -> [UInt8]?) throws -> [String] {
        let configPath = folder + "/config.json"
        try AtomicFile.write(try JSONFiles.encode(config), to: configPath)
        do {
            guard let bytes = try tokenizer() else { return [configPath] }
            let path = folder + "/tokenizer.json"
            try AtomicFile.write(bytes, to: path)
            return [configPath, path]
        } catch let error as TokenizerError {
            note?("no tokenizer.json written: \(error.message)")
            return [configPath]
        }
    }

    /// The model's tokenizer as tokenizer.json bytes: stored ones as they are, GGUF metadata
    /// converted (`GGUFTokenizer.tokenizerJSON`); nil when the model has no tokenizer. A
    /// tokenizer that cannot be written as tokenizer.json is a TokenizerError saying why.
    public static func tokenizerJSON(_ manifest: ModelManifest, from zoo: ZooStore) throws -> [UInt8]? {
        guard let tokenizer = manifest.tokenizer else { return nil }
        return try tokenizerJSON(format: tokenizer.format, bytes: try zoo.blobs.read(tokenizer.digest),
                                 source: manifest.reference)
    }

    static func tokenizerJSON(format: String, bytes: [UInt8], source: String) throws -> [UInt8] {
        switch format {
        case "hf-tokenizer-json": return bytes
        case "gguf-metadata":
            return Array(try GGUFTokenizer.tokenizerJSON(metadataJSON: bytes, source: "the GGUF tokenizer of \(source)").utf8)
        default: throw TokenizerError("tokenizer format '\(format)' of \(source) cannot be written as tokenizer.json")
        }
    }

    /// A safetensors file in the stored dtypes, tensors in name order, metadata naming the model.
    public static func writeSafetensors(_ manifest: ModelManifest, from zoo: ZooStore, to path: String,
                                        durable: Bool = true) throws {
        let sources = manifest.tensors.map { tensor in
            TensorSource(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.bytes) {
                let data = try zoo.blobs.read(tensor.digest)
                guard data.count == tensor.bytes else {
                    throw ZooError.corrupt("tensor '\(tensor.name)' of \(manifest.reference) has \(data.count) bytes, "
                                           + "its manifest says \(tensor.bytes)")
                }
                return data
            }
        }
        try writeSafetensors(sources, metadata: ["format": "pt", "slmflow_model": .string(manifest.reference),
                                                 "slmflow_digest": .string(manifest.digest.hex)], to: path, durable: durable)
    }

    /// One tensor of a file being written: its header fields, and its bytes when their turn comes.
    struct TensorSource {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: Int
        var read: () throws -> [UInt8]
    }

    /// Streams the header, then each tensor's bytes in name order, into one atomic write.
    static func writeSafetensors(_ tensors: [TensorSource], metadata: [String: JSONValue], to path: String,
                                 durable: Bool = true) throws {
        let tensors = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var header: [String: JSONValue] = ["__metadata__": .object(metadata)]
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
        try AtomicFile.write(to: path, durable: durable) { sink in
            try withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { try sink.write($0) }
            try headerBytes.withUnsafeBytes { try sink.write($0) }
            for tensor in tensors {
                let data = try tensor.read()
                guard data.count == tensor.bytes else {
                    throw ZooError.corrupt("tensor '\(tensor.name)' has \(data.count) bytes, \(tensor.bytes) were announced")
                }
                try data.withUnsafeBytes { try sink.write($0) }
            }
        }
    }
}
