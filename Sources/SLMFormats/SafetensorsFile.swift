import Foundation
import SLMTensor

#if _endian(big)
#error("safetensors data is little-endian; this reader copies raw bytes on a little-endian host")
#endif

/// A safetensors file opened through a read-only memory map. The header is parsed and every
/// entry validated on open; tensor bytes are read only on request.
public final class SafetensorsFile {
    public let path: String
    public let header: SafetensorsHeader
    private let file: MappedFile
    private let dataStart: Int
    private let byName: [String: SafetensorsEntry]

    public init(path: String) throws {
        self.path = path
        file = try MappedFile(path: path)
        let headerLength = UInt64(littleEndian: file.bytes.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(SafetensorsHeader.maximumHeaderBytes) else {
            throw SafetensorsError(.headerTooLarge, path: path,
                                   "header length \(headerLength) exceeds the \(SafetensorsHeader.maximumHeaderBytes)-byte limit")
        }
        guard 8 + Int(headerLength) <= file.size else {
            throw SafetensorsError(.truncated, path: path,
                                   "header length \(headerLength) runs past the end of the \(file.size)-byte file")
        }
        dataStart = 8 + Int(headerLength)
        let json = Data(bytes: file.bytes + 8, count: Int(headerLength))
        header = try SafetensorsHeader.parse(json: json, dataSize: file.size - dataStart, path: path)
        byName = Dictionary(uniqueKeysWithValues: header.entries.map { ($0.name, $0) })
    }

    /// Tensor names, sorted.
    public var names: [String] { header.entries.map(\.name) }
    public var metadata: [String: String] { header.metadata }

    public func entry(_ name: String) throws -> SafetensorsEntry {
        guard let e = byName[name] else {
            throw SafetensorsError(.missingTensor, path: path, tensor: name, "no such tensor in the file")
        }
        return e
    }

    /// The tensor converted to fp32 (F32 copied, F16/BF16 widened exactly).
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        guard e.dtype.isFloatingPoint else {
            throw SafetensorsError(.unsupportedConversion, path: path, tensor: name,
                                   "dtype \(e.dtype.rawValue) is an integer type; read it with rawBytes(_:)")
        }
        let t = Tensor(zeros: e.shape)
        let source = file.bytes + dataStart + e.byteRange.lowerBound
        switch e.dtype {
        case .float32:
            UnsafeMutableRawPointer(t.data).copyMemory(from: source, byteCount: e.byteRange.count)
        case .bfloat16:
            HalfPrecision.convertBFloat16(source, to: t.data, count: e.elementCount)
        case .float16:
            HalfPrecision.convertFloat16(source, to: t.data, count: e.elementCount)
        case .int32, .int64:
            break  // excluded above
        }
        return t
    }

    /// The tensor's bytes exactly as stored (little-endian).
    public func rawBytes(_ name: String) throws -> [UInt8] {
        let e = try entry(name)
        return Array(UnsafeRawBufferPointer(start: file.bytes + dataStart + e.byteRange.lowerBound, count: e.byteRange.count))
    }

    /// An I64 or I32 tensor's values widened to Int64.
    public func integers(_ name: String) throws -> [Int64] {
        let e = try entry(name)
        let source = file.bytes + dataStart + e.byteRange.lowerBound
        switch e.dtype {
        case .int64:
            return (0..<e.elementCount).map { Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .int32:
            return (0..<e.elementCount).map { Int64(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        default:
            throw SafetensorsError(.unsupportedConversion, path: path, tensor: name,
                                   "dtype \(e.dtype.rawValue) is not an integer type")
        }
    }
}
