import Foundation
import SLMFormats

/// Assembles GGUF v3 files for tests (little-endian, data aligned to 32). Shared by the zoo's
/// and the stages' tests (SLMTestSupport).
public struct GGUFWriter {
    public init() {}

    private var metadata: [UInt8] = []
    private var metadataCount = 0
    private var tensors: [(name: String, dimensions: [Int], type: GGMLType, data: [UInt8])] = []

    private static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private static func string(_ s: String) -> [UInt8] { u64(UInt64(s.utf8.count)) + Array(s.utf8) }

    public mutating func add(_ key: String, string value: String) {
        metadata += Self.string(key) + Self.u32(8) + Self.string(value)
        metadataCount += 1
    }

    public mutating func add(_ key: String, uint32 value: UInt32) {
        metadata += Self.string(key) + Self.u32(4) + Self.u32(value)
        metadataCount += 1
    }

    public mutating func add(_ key: String, float32 value: Float) {
        metadata += Self.string(key) + Self.u32(6) + Self.u32(value.bitPattern)
        metadataCount += 1
    }

    public mutating func add(_ key: String, strings: [String]) {
        metadata += Self.string(key) + Self.u32(9) + Self.u32(8) + Self.u64(UInt64(strings.count))
        for s in strings { metadata += Self.string(s) }
        metadataCount += 1
    }

    public mutating func add(_ key: String, bool value: Bool) {
        metadata += Self.string(key) + Self.u32(7) + [value ? 1 : 0]
        metadataCount += 1
    }

    public mutating func add(_ key: String, float32s values: [Float]) {
        metadata += Self.string(key) + Self.u32(9) + Self.u32(6) + Self.u64(UInt64(values.count))
        for v in values { metadata += Self.u32(v.bitPattern) }
        metadataCount += 1
    }

    public mutating func add(_ key: String, int32s values: [Int32]) {
        metadata += Self.string(key) + Self.u32(9) + Self.u32(5) + Self.u64(UInt64(values.count))
        for v in values { metadata += Self.u32(UInt32(bitPattern: v)) }
        metadataCount += 1
    }

    public mutating func addTensor(_ name: String, dimensions: [Int], type: GGMLType, data: [UInt8]) {
        tensors.append((name, dimensions, type, data))
    }

    public func bytes() -> [UInt8] {
        var out = Array("GGUF".utf8) + Self.u32(3) + Self.u64(UInt64(tensors.count)) + Self.u64(UInt64(metadataCount)) + metadata
        var offset = 0
        var data: [UInt8] = []
        for tensor in tensors {
            out += Self.string(tensor.name) + Self.u32(UInt32(tensor.dimensions.count))
            for d in tensor.dimensions { out += Self.u64(UInt64(d)) }
            out += Self.u32(tensor.type.rawValue) + Self.u64(UInt64(offset))
            data += tensor.data
            while data.count % 32 != 0 { data.append(0) }
            offset = data.count
        }
        while out.count % 32 != 0 { out.append(0) }
        return out + data
    }
}

public func fp16Bits(_ value: Float) -> [UInt8] {
    // Exact for the small dyadic values the tests use.
    let bits = Float16(value).bitPattern
    return [UInt8(bits & 0xff), UInt8(bits >> 8)]
}
