import Foundation
import SLMCore

/// Writes a zoo model as a standard safetensors file, or as a Hugging Face folder
/// (config.json, model.safetensors, tokenizer.json when the model has one in that format).
/// Tensors keep their stored dtype and bytes, so exporting and importing again gives the
/// same digests. Tied tensors are written as copies under both names (what a strict
/// `load_state_dict` of a seed checkpoint expects); the config is written as stored.
public enum ModelExporter {
    public enum Format: String, CaseIterable, Sendable { case safetensors, hf }

    /// Returns the paths written.
    @discardableResult
    public static func export(_ manifest: ModelManifest, from zoo: ZooStore, format: Format, to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let weights = folder + "/model.safetensors"
        try writeSafetensors(manifest, from: zoo, to: weights)
        guard format == .hf else { return [weights] }
        var written = [weights]
        let configPath = folder + "/config.json"
        try AtomicFile.write(try JSONFiles.encode(manifest.config), to: configPath)
        written.append(configPath)
        if let tokenizer = manifest.tokenizer, tokenizer.format == "hf-tokenizer-json" {
            let path = folder + "/tokenizer.json"
            try AtomicFile.write(try zoo.blobs.read(tokenizer.digest), to: path)
            written.append(path)
        }
        return written
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
