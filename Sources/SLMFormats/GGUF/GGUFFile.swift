import Foundation
import SLMTensor

/// A GGUF v2/v3 file (llama.cpp), memory-mapped. The header, metadata (including the
/// `tokenizer.ggml.*` arrays) and tensor infos are parsed and validated on open: every
/// length is checked against the file, every tensor's bytes must lie inside the data
/// section. Tensor data is read on request, dequantised to fp32 where needed.
public final class GGUFFile {
    public let path: String
    public let version: UInt32
    /// In file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// In file order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    private let data: Data
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw GGUFError(path, "cannot read the file (\(error.localizedDescription))")
        }
        var reader = GGUFReader(data: data, path: path)
        guard try reader.bytes(4) == Array("GGUF".utf8) else { throw GGUFError(path, "no GGUF magic: not a GGUF file") }
        version = try reader.u32()
        guard version == 2 || version == 3 else { throw GGUFError(path, "GGUF version \(version) is not supported (expected 2 or 3)") }
        let tensorCount = try reader.count("tensor count")
        let keyCount = try reader.count("metadata count")
        var keys: [String] = [], metadata: [String: GGUFValue] = [:]
        for _ in 0..<keyCount {
            let key = try reader.string()
            metadata[key] = try reader.value(type: try reader.u32(), key: key, depth: 0)
            keys.append(key)
        }
        metadataKeys = keys
        self.metadata = metadata
        alignment = metadata["general.alignment"]?.intValue ?? 32
        guard alignment > 0, alignment <= 1 << 20 else { throw GGUFError(path, "general.alignment \(alignment) is not a sensible power of two") }

        var infos: [GGUFTensorInfo] = []
        for index in 0..<tensorCount {
            let name = try reader.string()
            let rank = Int(try reader.u32())
            guard rank <= 8 else { throw GGUFError(path, "tensor \(index) '\(name)' has \(rank) dimensions (at most 8 expected)") }
            var dimensions: [Int] = []
            var elements = 1
            for _ in 0..<rank {
                let d = try reader.u64()
                guard d <= UInt64(Int32.max) else { throw GGUFError(path, "tensor '\(name)' has a dimension of \(d)") }
                dimensions.append(Int(d))
                elements = elements.multipliedReportingOverflow(by: Int(d)).overflow ? Int.max : elements * Int(d)
            }
            let rawType = try reader.u32()
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError(path, "tensor '\(name)' has ggml type \(rawType); supported: \(GGMLType.allCases.map(\.name).joined(separator: ", "))")
            }
            let offset = try reader.u64()
            let block = type.block
            guard elements != Int.max, elements % block.elements == 0 else {
                throw GGUFError(path, "tensor '\(name)' has \(elements) elements, not a whole number of \(type.name) blocks")
            }
            infos.append(GGUFTensorInfo(name: name, dimensions: dimensions, type: type, offset: Int(clamping: offset),
                                        byteCount: elements / block.elements * block.bytes))
        }
        tensors = infos
        dataStart = (reader.position + alignment - 1) / alignment * alignment
        let dataSize = data.count - dataStart
        for info in infos {
            let (end, overflow) = info.offset.addingReportingOverflow(info.byteCount)
            guard !overflow, dataStart <= data.count, end <= dataSize else {
                throw GGUFError(path, "tensor '\(info.name)': \(info.byteCount) bytes at data offset \(info.offset) run past the end of the file (data section holds \(max(dataSize, 0)) bytes)")
            }
        }
    }

    public func tensor(named name: String) -> GGUFTensorInfo? { tensors.first { $0.name == name } }

    /// The tensor's stored bytes (quantised blocks as they are).
    public func rawBytes(_ info: GGUFTensorInfo) -> [UInt8] {
        let start = data.startIndex + dataStart + info.offset
        return [UInt8](data[start..<start + info.byteCount])
    }

    /// The tensor as fp32 values (F32 copied, F16/BF16 widened, Q8_0/Q4_0/Q4_1 dequantised).
    public func floats(_ info: GGUFTensorInfo) -> [Float] {
        let raw = rawBytes(info)
        return GGMLDequantizer.floats(raw, type: info.type, count: info.elementCount)
    }
}

/// Bounds-checked little-endian reads over the mapped file.
struct GGUFReader {
    let data: Data
    let path: String
    var position = 0

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= data.count - position else {
            throw GGUFError(path, "needs \(count) bytes at offset \(position) but the file has \(data.count) bytes: header sizes run past the end of the file")
        }
        defer { position += count }
        let start = data.startIndex + position
        return [UInt8](data[start..<start + count])
    }

    mutating func u32() throws -> UInt32 { try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }

    /// A count that must be plausible for the bytes left (each item takes at least one byte).
    mutating func count(_ what: String) throws -> Int {
        let value = try u64()
        guard value <= UInt64(data.count - position) else {
            throw GGUFError(path, "\(what) \(value) at offset \(position - 8) runs past the end of the \(data.count)-byte file")
        }
        return Int(value)
    }

    mutating func string() throws -> String {
        let length = try count("string length")
        return String(decoding: try bytes(length), as: UTF8.self)
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try bytes(1)[0]))
        case 1: return .int(Int64(Int8(bitPattern: try bytes(1)[0])))
        case 2: return .uint(UInt64(try bytes(2).reversed().reduce(UInt16(0)) { $0 << 8 | UInt16($1) }))
        case 3: return .int(Int64(Int16(bitPattern: try bytes(2).reversed().reduce(UInt16(0)) { $0 << 8 | UInt16($1) })))
        case 4: return .uint(UInt64(try u32()))
        case 5: return .int(Int64(Int32(bitPattern: try u32())))
        case 6: return .float(Double(Float(bitPattern: try u32())))
        case 7: return .bool(try bytes(1)[0] != 0)
        case 8: return .string(try string())
        case 9:
            guard depth < 4 else { throw GGUFError(path, "metadata '\(key)': arrays nested too deeply") }
            let elementType = try u32()
            let count = try count("array length of '\(key)'")
            var items: [GGUFValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(items)
        case 10: return .uint(try u64())
        case 11: return .int(Int64(bitPattern: try u64()))
        case 12: return .float(Double(bitPattern: try u64()))
        default: throw GGUFError(path, "metadata '\(key)' has unknown value type \(type)")
        }
    }
}
