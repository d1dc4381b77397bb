import Foundation
import SLMCore
import SLMFormats
import SLMTensor
import Testing
@testable import SLMZoo

/// The checkpoints written by scripts/golden/make_torch_checkpoint.py with torch.save.
@Suite struct TorchImportTests {
    let scratch: Scratch
    init() throws { scratch = try Scratch() }

    struct Expected: Decodable {
        struct Tensor: Decodable { let dtype: String; let shape: [Int]; let values: [Double] }
        let torch_version: String
        let seed_tiny: [String: Tensor]
        let bare_mixed: [String: Tensor]
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("seed_tiny.values.json")))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    static func floats(_ tensor: ImportedTensor) -> [Float] {
        tensor.bytes.withUnsafeBytes { raw in
            let count = tensor.shape.reduce(1, *)
            var out = [Float](repeating: 0, count: count)
            out.withUnsafeMutableBufferPointer { target in
                guard let base = raw.baseAddress, let destination = target.baseAddress else { return }
                switch tensor.dtype {
                case .bfloat16: HalfPrecision.convertBFloat16(base, to: destination, count: count)
                case .float16: HalfPrecision.convertFloat16(base, to: destination, count: count)
                default: for i in 0..<count { destination[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
                }
            }
            return out
        }
    }

    func checkEveryTensor(_ file: String, against expected: [String: Expected.Tensor]) throws -> ImportedModel {
        let model = try ModelImporter.open(Fixtures.path(file))
        #expect(Set(model.tensorNames) == Set(expected.keys))
        let dtypes = ["bfloat16": "BF16", "float16": "F16", "float32": "F32"]
        for name in model.tensorNames {
            let tensor = try model.loadTensor(name)
            let reference = try #require(expected[name])
            #expect(tensor.dtype.rawValue == dtypes[reference.dtype], "\(name)")
            #expect(tensor.shape == reference.shape, "\(name)")
            #expect(Self.floats(tensor) == reference.values.map { Float($0) }, "\(name) differs from torch")
        }
        return model
    }

    @Test func seedLayoutBf16CheckpointImportsExactly() throws {
        let expected = try Self.expected()
        let model = try checkEveryTensor("seed_tiny.pt", against: expected.seed_tiny)
        #expect(model.architecture == "mu")
        #expect(model.config.objectValue?["n_embd"] == .int(16))
        #expect(model.formatMetadata?.objectValue?["global_step"] == .int(7))
        #expect(try model.loadTensor("lm_head.weight").tiedTo == "transformer.wte.weight")
        #expect(try model.loadTensor("transformer.wte.weight").tiedTo == nil)
    }

    @Test func bareStateDictWithMixedDtypesAndAStridedSlice() throws {
        let expected = try Self.expected()
        _ = try checkEveryTensor("bare_mixed.pt", against: expected.bare_mixed)
    }

    @Test func float64TensorsAreRefusedAsAnUnsupportedDtype() {
        do {
            _ = try ModelImporter.open(Fixtures.path("float64.pt"))
            Issue.record("accepted a float64 checkpoint")
        } catch {
            #expect("\(error)".contains("torch.DoubleStorage tensors are not supported"), "\(error)")
        }
    }

    @Test func tiedWeightsShareOneBlobAndCountOnce() throws {
        let manifest = try scratch.zoo.add(try ModelImporter.open(Fixtures.path("seed_tiny.pt")),
                                           as: try ModelReference.parse("seed:tiny"), slmflowVersion: "test")
        let byName = Dictionary(uniqueKeysWithValues: manifest.tensors.map { ($0.name, $0) })
        #expect(byName["lm_head.weight"]?.digest == byName["transformer.wte.weight"]?.digest)
        let untied = manifest.tensors.filter { $0.tiedTo == nil }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        #expect(manifest.parameterCount == untied)
        #expect(manifest.parameterCount < manifest.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) })
        let stored = try scratch.zoo.resolve("seed:tiny")
        #expect(stored == manifest)
    }
}
