import Foundation
import Testing
import SLMTensor
import SLMFormats

/// Reads a file written by the official Python `safetensors` package
/// (scripts/golden/make_safetensors_golden.py; values hard-coded here).
@Suite struct SafetensorsGoldenTests {
    static let goldenPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("Fixtures/golden.safetensors").path

    @Test func readsEveryTensorWrittenByTheReferenceImplementation() throws {
        let file = try SafetensorsFile(path: Self.goldenPath)
        #expect(file.names == ["bf16", "ids", "layer.f16", "layer.f32"])
        #expect(file.metadata == ["source": "safetensors-python"])

        let f32 = try file.tensor("layer.f32")
        #expect(f32.shape == [3, 4])
        #expect(f32.array == (0..<12).map { Float($0) * 0.5 - 1 })

        let f16 = try file.tensor("layer.f16")
        #expect(f16.array == [1, -2, 65504, 0x1p-24, .infinity, 0.099_975_585_937_5])

        let bf16 = try file.tensor("bf16")
        #expect(bf16.shape == [2, 2])
        #expect(bf16.array == [1, -2.5, 3.140625, 0])

        #expect(try file.integers("ids") == [-1, 0, 32000])
    }
}
