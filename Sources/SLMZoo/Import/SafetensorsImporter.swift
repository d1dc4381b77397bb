import Foundation
import SLMCore
import SLMFormats

/// Hugging Face layouts: a folder with config.json, model.safetensors (or
/// model.safetensors.index.json and its shards) and tokenizer.json; or a single
/// .safetensors file with a config given separately.
enum SafetensorsImporter {
    static func importFolder(_ folder: String) throws -> ImportedModel {
        let configPath = folder + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ZooError.invalidInput(path: folder, "no config.json: expected a Hugging Face model folder (config.json, model.safetensors or model.safetensors.index.json, tokenizer.json)")
        }
        var files: [String: SafetensorsFile] = [:]
        var owner: [String: String] = [:]
        let single = folder + "/model.safetensors", index = folder + "/model.safetensors.index.json"
        if FileManager.default.fileExists(atPath: single) {
            let file = try SafetensorsFile(path: single)
            files["model.safetensors"] = file
            for name in file.names { owner[name] = "model.safetensors" }
        } else if FileManager.default.fileExists(atPath: index) {
            for (tensor, shard) in try readIndex(index) {
                if files[shard] == nil { files[shard] = try SafetensorsFile(path: folder + "/" + shard) }
                guard (try? files[shard]?.entry(tensor)) != nil else {
                    throw ZooError.invalidInput(path: index, "weight_map sends '\(tensor)' to \(shard), which does not hold it")
                }
                owner[tensor] = shard
            }
        } else {
            throw ZooError.invalidInput(path: folder, "neither model.safetensors nor model.safetensors.index.json is present")
        }
        let config = try readJSON(configPath)
        let tokenizerPath = folder + "/tokenizer.json"
        let tokenizer = FileManager.default.contents(atPath: tokenizerPath).map { (format: "hf-tokenizer-json", bytes: [UInt8]($0)) }
        let names = owner.keys.sorted()
        return ImportedModel(
            architecture: architecture(of: config), config: config, tokenizer: tokenizer, tensorNames: names,
            loadTensor: { name in
                guard let shard = owner[name], let file = files[shard] else {
                    throw ZooError.invalidInput(path: folder, "tensor '\(name)' is not in the folder")
                }
                return try tensor(name, from: file)
            },
            source: .init(location: folder, format: "hf", sha256: nil, license: config.objectValue?["license"]?.stringValue),
            formatMetadata: nil, suggestedName: suggestedName(folder))
    }

    static func importFile(_ path: String, configPath: String?) throws -> ImportedModel {
        let file = try SafetensorsFile(path: path)
        let config = try configPath.map(readJSON) ?? .object([:])
        let metadata: JSONValue = .object(file.metadata.mapValues { .string($0) })
        return ImportedModel(
            architecture: architecture(of: config), config: config, tokenizer: nil, tensorNames: file.names,
            loadTensor: { try tensor($0, from: file) },
            source: .init(location: path, format: "safetensors", sha256: try SHA256.hashFile(atPath: path).digest, license: nil),
            formatMetadata: file.metadata.isEmpty ? nil : metadata, suggestedName: suggestedName(path))
    }

    static func tensor(_ name: String, from file: SafetensorsFile) throws -> ImportedTensor {
        let entry = try file.entry(name)
        return ImportedTensor(name: name, dtype: entry.dtype, shape: entry.shape, bytes: try file.rawBytes(name))
    }

    /// The index's weight_map; shard names must be plain file names in the same folder.
    static func readIndex(_ path: String) throws -> [(String, String)] {
        guard case .object(let root) = try readJSON(path), case .object(let map)? = root["weight_map"] else {
            throw ZooError.invalidInput(path: path, "expected an object with a \"weight_map\" object")
        }
        return try map.keys.sorted().map { tensor in
            guard let shard = map[tensor]?.stringValue, ZipArchive.isSafeName(shard), !shard.contains("/"), shard != "." else {
                throw ZooError.invalidInput(path: path, "weight_map entry for '\(tensor)' must be a plain file name in the same folder (no '/', no '..')")
            }
            return (tensor, shard)
        }
    }

    static func readJSON(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZooError.invalidInput(path: path, "cannot read the file")
        }
        return try JSONFiles.decode(JSONValue.self, from: data, path: path)
    }

    static func architecture(of config: JSONValue) -> String {
        let object = config.objectValue
        if let named = object?["architectures"]?.arrayValue?.first?.stringValue ?? object?["model_type"]?.stringValue { return named }
        return object?[SeedMuConfig.markerKey] != nil ? SeedMuConfig.modelType : "unknown"
    }

    static func suggestedName(_ path: String) -> String {
        var base = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.lowercased()
        base = String(base.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "-" })
        while let first = base.first, !(first.isLetter || first.isNumber) { base.removeFirst() }
        return base.isEmpty ? "model" : base
    }
}
