import Foundation
import SLMCore
import SLMFormats

/// A `torch.save` checkpoint: the seed's `{"model_state_dict", "model_config", …}` layout
/// or a bare state dict. Tensors that share a storage view (tied weights) are marked.
enum TorchImporter {
    static func importFile(_ path: String, configPath: String?) throws -> ImportedModel {
        let checkpoint = try TorchCheckpoint(path: path)
        guard case .dict(let root) = checkpoint.root else {
            throw ZooError.invalidInput(path: path, "the checkpoint holds a \(checkpoint.root.typeName), expected a dict (a state dict or {\"model_state_dict\": …})")
        }
        var stateDict = root
        var config: JSONValue = .object([:])
        var extras: [String: JSONValue] = [:]
        for wrapper in ["model_state_dict", "state_dict", "model"] {
            if case .dict(let inner)? = root[wrapper] {
                stateDict = inner
                for key in root.keys where key != wrapper {
                    if let value = root[key] { extras[key] = json(value) }
                }
                break
            }
        }
        if let modelConfig = extras.removeValue(forKey: "model_config") { config = modelConfig }
        if let configPath { config = try SafetensorsImporter.readJSON(configPath) }

        var references: [String: TorchTensorReference] = [:]
        var names: [String] = []
        var tiedTo: [String: String] = [:]
        var firstOwner: [TorchTensorReference: String] = [:]
        for key in stateDict.keys {
            guard case .tensor(let reference)? = stateDict[key] else {
                extras["state_dict." + key] = stateDict[key].map(json)
                continue
            }
            references[key] = reference
            names.append(key)
            if let owner = firstOwner[reference] { tiedTo[key] = owner } else { firstOwner[reference] = key }
        }
        guard !names.isEmpty else { throw ZooError.invalidInput(path: path, "the checkpoint holds no tensors") }
        let architecture = SafetensorsImporter.architecture(of: config)
        return ImportedModel(
            architecture: architecture, config: config, tokenizer: nil, tensorNames: names,
            loadTensor: { name in
                guard let reference = references[name] else { throw ZooError.invalidInput(path: path, "no tensor '\(name)'") }
                return ImportedTensor(name: name, dtype: reference.storage.dtype, shape: reference.shape,
                                      bytes: try checkpoint.contiguousBytes(of: reference), tiedTo: tiedTo[name])
            },
            source: .init(location: path, format: "torch", sha256: try SHA256.hashFile(atPath: path).digest, license: nil),
            formatMetadata: extras.isEmpty ? nil : .object(extras), suggestedName: SafetensorsImporter.suggestedName(path))
    }

    static func json(_ value: PickleValue) -> JSONValue {
        switch value {
        case .none: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .float(let d): .double(d)
        case .string(let s): .string(s)
        case .bytes(let b): .string("<\(b.count) bytes>")
        case .tuple(let items): .array(items.map(json))
        case .list(let list): .array(list.items.map(json))
        case .dict(let dict): .object(Dictionary(uniqueKeysWithValues: dict.keys.compactMap { key in dict[key].map { (key, json($0)) } }))
        case .global(let global): .string(global.rawValue)
        case .storage(let storage): .string("<storage \(storage.key)>")
        case .tensor(let tensor): .string("<tensor \(tensor.shape)>")
        }
    }
}
