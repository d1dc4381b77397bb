import Foundation
import SLMCore
import Testing
@testable import SLMZoo

/// A throwaway workspace folder with a zoo in it, removed when the test's suite instance goes.
final class Scratch {
    let root: String
    let zoo: ZooStore

    init() throws {
        root = NSTemporaryDirectory() + "slm-zoo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        zoo = ZooStore(workspaceRoot: root + "/ws")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    /// Every file under the scratch folder except those inside the zoo.
    func filesOutsideZoo() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: root)
        var files: [String] = []
        while let item = enumerator?.nextObject() as? String {
            if item.hasPrefix("ws/zoo") || item == "ws" { continue }
            files.append(item)
        }
        return files.sorted()
    }
}

enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func path(_ name: String) -> String { folder + "/" + name }
}

func fp32Bytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

/// Writes a safetensors file by hand: F32 tensors in the given order.
func writeSafetensors(_ tensors: [(String, [Int], [Float])], to path: String) throws {
    var header: [String: JSONValue] = [:]
    var data: [UInt8] = []
    for (name, shape, values) in tensors {
        header[name] = .object(["dtype": "F32", "shape": .array(shape.map { .int(Int64($0)) }),
                                "data_offsets": .array([.int(Int64(data.count)), .int(Int64(data.count + 4 * values.count))])])
        data += fp32Bytes(values)
    }
    let text = Array(JSONValue.object(header).canonicalText.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: UInt64(text.count).littleEndian) { bytes += $0 }
    try Data(bytes + text + data).write(to: URL(fileURLWithPath: path))
}

func writeHFFolder(_ folder: String, tensors: [(String, [Int], [Float])], config: String = #"{"model_type":"llama","hidden_size":4,"rope_theta":10000.0}"#) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try writeSafetensors(tensors, to: folder + "/model.safetensors")
    try config.write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
    try #"{"version":"1.0","model":{"type":"BPE"}}"#.write(toFile: folder + "/tokenizer.json", atomically: true, encoding: .utf8)
}

/// A checkpoint written straight to a folder (`ModelExporter.export(_:to:)`, no zoo) imports
/// again as the same model as the checkpoint itself: tensors, config, architecture, tokenizer.
func expectDirectExportEqualsZooRoute(_ checkpoint: String, _ scratch: Scratch) throws {
    let viaZoo = try scratch.zoo.add(try ModelImporter.open(checkpoint), as: try ModelReference.parse("zoo"), slmflowVersion: "t")
    let direct = scratch.path("direct")
    let written = try ModelExporter.export(try ModelImporter.open(checkpoint), to: direct, durable: false)
    #expect(written.contains(direct + "/tokenizer.json") == (viaZoo.tokenizer != nil))
    let again = try scratch.zoo.add(try ModelImporter.open(direct), as: try ModelReference.parse("direct"), slmflowVersion: "t")
    func digests(_ m: ModelManifest) -> [String: String] {
        Dictionary(uniqueKeysWithValues: m.tensors.map { ($0.name, $0.digest.hex) })
    }
    #expect(!viaZoo.tensors.isEmpty && digests(again) == digests(viaZoo))
    #expect(again.config == viaZoo.config && again.architecture == viaZoo.architecture)
    let tokenizer = FileManager.default.contents(atPath: direct + "/tokenizer.json").map { [UInt8]($0) }
    #expect(try ModelExporter.tokenizerJSON(viaZoo, from: scratch.zoo) == tokenizer)
}
