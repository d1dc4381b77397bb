import Foundation
import SLMCore
import SLMFormats
import Testing
@testable import SLMZoo

@Suite struct ZooStoreTests {
    let scratch: Scratch
    init() throws { scratch = try Scratch() }

    static func weights(_ seed: Float, count: Int = 4096) -> [Float] {
        (0..<count).map { Float(sin(Double($0) * 0.37 + Double(seed))) * 0.02 }
    }

    func addFolder(_ name: String, tensors: [(String, [Int], [Float])]) throws -> ModelManifest {
        let folder = scratch.path(name)
        try writeHFFolder(folder, tensors: tensors)
        return try scratch.zoo.add(try ModelImporter.open(folder), as: try ModelReference.parse(name), slmflowVersion: "test")
    }

    @Test func importExportImportKeepsTheDigest() throws {
        let first = try addFolder("first", tensors: [("a.weight", [64, 64], Self.weights(1)), ("b.bias", [4], [1, 2, 3, 4])])
        for format in ModelExporter.Format.allCases {
            let out = scratch.path("export-\(format.rawValue)")
            try ModelExporter.export(first, from: scratch.zoo, format: format, to: out)
            let again = try scratch.zoo.add(try ModelImporter.open(format == .hf ? out : out + "/model.safetensors",
                                                                    configPath: format == .hf ? nil : scratch.path("first/config.json")),
                                            as: try ModelReference.parse("again:\(format.rawValue)"), slmflowVersion: "test")
            #expect(again.tensors.map(\.digest) == first.tensors.map(\.digest))
            if format == .hf {
                #expect(again.digest == first.digest, "config, tensors and tokenizer all survive")
                #expect(again.tokenizer?.digest == first.tokenizer?.digest)
            }
        }
    }

    @Test func torchCheckpointRoundTripsThroughHFExport() throws {
        let original = try scratch.zoo.add(try ModelImporter.open(Fixtures.path("seed_tiny.pt")), as: try ModelReference.parse("seed"), slmflowVersion: "t")
        let out = scratch.path("seed-hf")
        try ModelExporter.export(original, from: scratch.zoo, format: .hf, to: out)
        let file = try SafetensorsFile(path: out + "/model.safetensors")
        #expect(Set(file.names) == Set(original.tensors.map(\.name)))
        let again = try scratch.zoo.add(try ModelImporter.open(out), as: try ModelReference.parse("seed:again"), slmflowVersion: "t")
        #expect(again.digest == original.digest)
        #expect(again.architecture == "mu")
    }

    @Test func seedCheckpointExportedDirectlyEqualsTheZooRoute() throws {
        try expectDirectExportEqualsZooRoute(Fixtures.path("seed_tiny.pt"), scratch)
    }

    @Test func modelsDifferingInOneTensorShareEveryOtherBlob() throws {
        let shared = (0..<5).map { ("layer\($0).weight", [32, 32], Self.weights(Float($0), count: 1024)) }
        let a = try addFolder("a", tensors: shared + [("head.weight", [8, 8], Self.weights(10, count: 64))])
        let blobsAfterA = scratch.zoo.blobs.entries().count
        let b = try addFolder("b", tensors: shared + [("head.weight", [8, 8], Self.weights(11, count: 64))])
        let common = Set(a.tensors.map(\.digest)).intersection(b.tensors.map(\.digest))
        #expect(common.count == 5)
        #expect(scratch.zoo.blobs.entries().count == blobsAfterA + 1, "only the differing tensor adds a blob")
    }

    @Test func gcKeepsSharedBlobsAndRemovesOrphans() throws {
        let shared = [("shared.weight", [16, 16], Self.weights(3, count: 256))]
        _ = try addFolder("a", tensors: shared + [("only-a", [2], [1, 2])])
        let b = try addFolder("b", tensors: shared + [("only-b", [2], [3, 4])])
        let removed = try scratch.zoo.remove("a")
        #expect(removed.name == "a")
        let report = try scratch.zoo.collectGarbage()
        #expect(report.removedBlobs == 1, "the blob only a used")
        #expect(report.keptBlobs == b.blobDigests.count)
        #expect(try scratch.zoo.verify().problems.isEmpty)
        #expect(throws: ZooError.self) { try scratch.zoo.resolve("a") }
    }

    @Test func aFlippedByteFailsVerify() throws {
        let model = try addFolder("m", tensors: [("w", [256], Self.weights(5, count: 256))])
        #expect(try scratch.zoo.verify().problems.isEmpty)
        let digest = try #require(model.tensors.first?.digest)
        let location = try #require(scratch.zoo.blobs.location(of: digest))
        chmod(location.path, 0o644)
        var bytes = try #require(FileManager.default.contents(atPath: location.path))
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: location.path))
        let report = try scratch.zoo.verify()
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains(digest.short) == true)
        #expect(report.problems.first?.contains("m:latest") == true)
    }

    @Test func tagsAndDigestReferencesResolve() throws {
        let model = try addFolder("m", tensors: [("w", [2], [1, 2])])
        try scratch.zoo.tag("m", as: "m:v1")
        #expect(try scratch.zoo.resolve("m:v1").digest == model.digest)
        #expect(try scratch.zoo.resolve("m@sha256:" + model.digest.hex.prefix(10)).digest == model.digest)
        #expect(throws: ZooError.self) { try scratch.zoo.resolve("m@sha256:00000000") }
        do {
            _ = try scratch.zoo.resolve("n")
            Issue.record("resolved a missing model")
        } catch {
            #expect("\(error)".contains("m:"), "suggests the near name: \(error)")
        }
    }

    @Test func manifestNamingABlobPathOutsideTheStoreIsRefused() throws {
        let model = try addFolder("m", tensors: [("w", [2], [1, 2])])
        let path = scratch.zoo.manifestPath("m", "latest")
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: model.tensors[0].digest.hex, with: "../../../../etc/passwd")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try scratch.zoo.resolve("m")
            Issue.record("accepted a manifest naming a path")
        } catch {
            #expect("\(error)".contains("sha256") || "\(error)".contains("digest"), "\(error)")
        }
        #expect(throws: ZooError.self) { try scratch.zoo.collectGarbage() }
    }

    @Test func bf16AndFp32WeightsChooseShuffledEncodingsWhenTheyWin() throws {
        let values = Self.weights(7, count: 1 << 16)
        let bf16 = values.flatMap { v -> [UInt8] in
            let bits = v.bitPattern >> 16
            return [UInt8(bits & 0xff), UInt8(bits >> 8)]
        }
        let store = scratch.zoo.blobs
        let (fp32Encoding, fp32Bytes) = try store.encode(fp32Bytes(values), elementWidth: 4)
        let (bf16Encoding, _) = try store.encode(bf16, elementWidth: 2)
        #expect(fp32Encoding == .shuffled4Zstd)
        #expect(bf16Encoding == .shuffled2Zstd)
        #expect(fp32Bytes.count < values.count * 4)
        let digest = try store.store(bf16, elementWidth: 2)
        #expect(try store.read(digest) == bf16)
        #expect(TensorBlobStore.unshuffle(TensorBlobStore.shuffle([1, 2, 3, 4, 5, 6, 7], width: 2), width: 2) == [1, 2, 3, 4, 5, 6, 7])
    }
}
