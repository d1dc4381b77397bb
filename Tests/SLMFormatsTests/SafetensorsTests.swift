import Foundation
import Testing
import SLMTensor
@testable import SLMFormats

/// A fresh temporary directory, removed when the owning suite instance (one per test) goes away.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("slm-safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

/// Hand-assembles a file: 8-byte LE length (or an override), the header text, then `data`.
func writeRawFile(_ url: URL, header: String, data: [UInt8], headerLength: UInt64? = nil) throws {
    let h = Array(header.utf8)
    var bytes: [UInt8] = []
    withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { bytes += $0 }
    bytes += h
    bytes += data
    try Data(bytes).write(to: url)
}

@Suite struct SafetensorsRoundTripTests {
    let scratch: TemporaryDirectory
    init() throws { scratch = try TemporaryDirectory() }

    @Test func float32RoundTripKeepsValuesShapesMetadataAndSortsKeys() throws {
        let dir = scratch.url
        let path = scratch.file("model.safetensors").path
        var rng = SeededRNG(seed: 1)
        let tensors: [String: Tensor] = [
            "transformer.wte.weight": Tensor.randomNormal(shape: [7, 3], std: 1, rng: &rng),
            "b.bias": Tensor.randomNormal(shape: [5], std: 1, rng: &rng),
            "a.scalar": Tensor(shape: [], values: [3.5]),
            "empty": Tensor(zeros: [0, 4]),
        ]
        try SafetensorsWriter.write(tensors, to: path, metadata: ["format": "pt", "note": "quote \" and \\ and \n"])
        let file = try SafetensorsFile(path: path)
        #expect(file.names == ["a.scalar", "b.bias", "empty", "transformer.wte.weight"])
        #expect(file.metadata == ["format": "pt", "note": "quote \" and \\ and \n"])
        for (name, t) in tensors {
            let back = try file.tensor(name)
            #expect(back.shape == t.shape, "\(name)")
            #expect(back.array == t.array, "\(name)")
        }
        // Data section 8-byte aligned; entries laid out contiguously in name order.
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect((8 + headerLength) % 8 == 0)
        let entries = file.header.entries
        #expect(entries.map(\.byteRange.lowerBound) == [0, 4, 24, 24])
        #expect(Int(8 + headerLength) + entries.last!.byteRange.upperBound == raw.count)
        // The atomic writer leaves nothing else behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    @Test func bfloat16WriteRoundsToNearestEvenAndReadsBack() throws {
        let path = scratch.file("bf16.safetensors").path
        let values: [Float] = [1, -2, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 3.14159, -0.0, .infinity]
        try SafetensorsWriter.write(["w": Tensor(shape: [7], values: values)], to: path, as: .bfloat16)
        let file = try SafetensorsFile(path: path)
        #expect(try file.entry("w").dtype == .bfloat16)
        #expect(try file.tensor("w").array == values.map(HalfPrecision.roundedToBFloat16))
    }

    @Test func overwritingReplacesTheWholeFile() throws {
        let path = scratch.file("m.safetensors").path
        try SafetensorsWriter.write(["old": Tensor(zeros: [100])], to: path)
        try SafetensorsWriter.write(["new": Tensor(shape: [2], values: [1, 2])], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.names == ["new"])
        #expect(try file.tensor("new").array == [1, 2])
    }

    @Test func readsFloat16AndIntegersFromHandWrittenFile() throws {
        let url = scratch.file("mixed.safetensors")
        // F16 [1, -2, 65504, 2⁻²⁴] then I64 [-1, 5] then I32 [7].
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00]
        var ints: [UInt8] = []
        for v in [Int64(-1), 5] { withUnsafeBytes(of: v.littleEndian) { ints += $0 } }
        withUnsafeBytes(of: Int32(7).littleEndian) { ints += $0 }
        let header = #"{"h":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"ids":{"dtype":"I64","shape":[2],"data_offsets":[8,24]},"n":{"dtype":"I32","shape":[1],"data_offsets":[24,28]}}"#
        try writeRawFile(url, header: header, data: f16 + ints)
        let file = try SafetensorsFile(path: url.path)
        #expect(try file.tensor("h").array == [1, -2, 65504, 0x1p-24])
        #expect(try file.integers("ids") == [-1, 5])
        #expect(try file.integers("n") == [7])
        #expect(try file.rawBytes("n") == [7, 0, 0, 0])
        #expect(throws: SafetensorsError.self) { try file.tensor("ids") }
        #expect(throws: SafetensorsError.self) { try file.integers("h") }
    }

    @Test func jsonStringEscapesControlCharacters() {
        #expect(SafetensorsWriter.jsonString("a\u{1}b") == "\"a\\u0001b\"")
        #expect(SafetensorsWriter.jsonString("é") == "\"é\"")
    }
}

@Suite struct SafetensorsMalformedTests {
    let scratch: TemporaryDirectory
    init() throws { scratch = try TemporaryDirectory() }

    /// Writes the file and returns the error it raises on open.
    func openError(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) throws -> SafetensorsError? {
        let url = scratch.file("bad.safetensors")
        try writeRawFile(url, header: header, data: data, headerLength: headerLength)
        do {
            _ = try SafetensorsFile(path: url.path)
            return nil
        } catch let error as SafetensorsError {
            return error
        }
    }

    @Test func headerLengthPastTheEnd() throws {
        let e = try openError(header: "{}", headerLength: 4096)
        #expect(e?.kind == .truncated)
    }

    @Test func headerLengthAboveTheCap() throws {
        let e = try openError(header: "{}", headerLength: 200_000_000)
        #expect(e?.kind == .headerTooLarge)
        let huge = try openError(header: "{}", headerLength: UInt64.max)
        #expect(huge?.kind == .headerTooLarge)
    }

    @Test func fileShorterThanTheLengthField() throws {
        let url = scratch.file("tiny.safetensors")
        try Data([1, 2, 3]).write(to: url)
        #expect(throws: SafetensorsError(.truncated, path: url.path, "file has 3 bytes; the 8-byte header length alone needs 8")) {
            _ = try SafetensorsFile(path: url.path)
        }
        #expect(throws: SafetensorsError.self) { _ = try SafetensorsFile(path: url.path + ".missing") }
    }

    @Test func truncatedDataSection() throws {
        // The header promises 16 bytes; only 8 are present.
        let e = try openError(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8))
        #expect(e?.kind == .offsetOutOfRange)
        #expect(e?.tensor == "w")
        #expect(e?.description.contains("'w'") == true)
    }

    @Test func offsetsOutOfRangeOrReversed() throws {
        let reversed = try openError(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: Array(repeating: 0, count: 8))
        #expect(reversed?.kind == .offsetOutOfRange)
        let negative = try openError(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, data: Array(repeating: 0, count: 8))
        #expect(negative?.kind == .offsetOutOfRange)
    }

    @Test func overlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let e = try openError(header: header, data: Array(repeating: 0, count: 12))
        #expect(e?.kind == .overlappingData)
        #expect(e?.tensor == "b")
    }

    @Test func unknownDType() throws {
        let e = try openError(header: #"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0])
        #expect(e?.kind == .unsupportedDType)
        #expect(e?.message.contains("F8_E4M3") == true)
    }

    @Test func shapeAndSizeMismatch() throws {
        let e = try openError(header: #"{"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(e?.kind == .sizeMismatch)
        #expect(e?.message.contains("6 bytes") == true)
    }

    @Test func hugeShapesOverflowCleanly() throws {
        let product = try openError(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(product?.kind == .sizeMismatch)
        let bytes = try openError(header: #"{"w":{"dtype":"I64","shape":[2305843009213693952],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(bytes?.kind == .sizeMismatch)
        let beyondInt = try openError(header: #"{"w":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(beyondInt?.kind == .invalidEntry)
    }

    @Test func nonJSONAndWrongJSONShapes() throws {
        #expect(try openError(header: "not json at all")?.kind == .invalidHeader)
        #expect(try openError(header: "[1, 2]")?.kind == .invalidHeader)
        #expect(try openError(header: #"{"__metadata__":{"k":1}}"#)?.kind == .invalidHeader)
        #expect(try openError(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#)?.kind == .invalidEntry)
        #expect(try openError(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#)?.kind == .invalidEntry)
        #expect(try openError(header: #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])?.kind == .invalidEntry)
        #expect(try openError(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#)?.kind == .invalidEntry)
        #expect(try openError(header: #"{"w":[1,2,3]}"#)?.kind == .invalidEntry)
        #expect(try openError(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#)?.kind == .invalidEntry)
    }

    @Test func missingTensorIsAnError() throws {
        let path = scratch.file("m.safetensors").path
        try SafetensorsWriter.write(["a": Tensor(zeros: [1])], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(throws: SafetensorsError(.missingTensor, path: path, tensor: "b", "no such tensor in the file")) {
            _ = try file.tensor("b")
        }
    }

    @Test func writerRejectsReservedNamesAndUnwritableDirectories() throws {
        let dir = scratch.url
        #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.write(["__metadata__": Tensor(zeros: [1])], to: dir.appendingPathComponent("x").path)
        }
        #expect(throws: SafetensorsError.self) {
            try SafetensorsWriter.write(["a": Tensor(zeros: [1])], to: dir.appendingPathComponent("no/such/dir/x").path)
        }
    }
}
