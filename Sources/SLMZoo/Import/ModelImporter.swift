import Foundation
import SLMFormats

/// Recognises what a path holds and reads it with the matching importer.
public enum ModelImporter {
    public static func open(_ path: String, configPath: String? = nil) throws -> ImportedModel {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ZooError.invalidInput(path: path, "no such file or folder")
        }
        if isFolder.boolValue { return try SafetensorsImporter.importFolder(path) }
        let magic = [UInt8]((FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 8) }) ?? Data())
        if magic.starts(with: Array("GGUF".utf8)) { return try GGUFImporter.importFile(path) }
        if magic.starts(with: [0x50, 0x4B]) || [".pt", ".pth", ".bin", ".ckpt", ".pkl"].contains(where: path.hasSuffix) {
            return try TorchImporter.importFile(path, configPath: configPath)
        }
        if path.hasSuffix(".safetensors") || magic.count == 8 { 
            do { return try SafetensorsImporter.importFile(path, configPath: configPath) } catch let error as SafetensorsError {
                if path.hasSuffix(".safetensors") { throw error }
            }
        }
        throw ZooError.invalidInput(path: path, "unrecognised format: expected a Hugging Face folder, a .safetensors file, a torch.save checkpoint (.pt/.bin) or a GGUF file")
    }
}
