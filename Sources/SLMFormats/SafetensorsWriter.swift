import SLMCore
import SLMTensor

/// Writes safetensors files atomically (through `AtomicFile`): a crash leaves either the old
/// file or the complete new one, never a torn one.
///
/// Tensors are laid out in name order (byte-wise), contiguous, after a header whose keys are
/// "__metadata__" (if any) then the sorted names; the header is padded with spaces so the
/// data section starts at a multiple of 8.
public enum SafetensorsWriter {
    public enum StorageType: Sendable {
        case float32
        /// Round-to-nearest-even from fp32.
        case bfloat16

        var dtype: SafetensorsDType { self == .float32 ? .float32 : .bfloat16 }
    }

    public static func write(
        _ tensors: [String: Tensor], to path: String, as storage: StorageType = .float32,
        metadata: [String: String] = [:]
    ) throws {
        let names = tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        if let bad = names.first(where: { $0.isEmpty || $0 == SafetensorsHeader.metadataKey }) {
            throw SafetensorsError(.invalidName, path: path, tensor: bad, "tensor names must be non-empty and not \"__metadata__\"")
        }
        let header = makeHeader(names: names, tensors: tensors, storage: storage, metadata: metadata)

        do {
            try AtomicFile.write(to: path) { sink in
                var length = UInt64(header.count).littleEndian
                try withUnsafeBytes(of: &length) { try sink.write($0) }
                try header.withUnsafeBytes { try sink.write($0) }
                for name in names {
                    guard let tensor = tensors[name] else { continue }
                    try writeData(tensor, storage: storage, to: sink)
                }
            }
        } catch let error as SystemError {
            throw SafetensorsError(.io, path: path, error.message)
        }
    }

    /// The JSON header bytes, space-padded so that 8 + count is a multiple of 8.
    static func makeHeader(names: [String], tensors: [String: Tensor], storage: StorageType,
                           metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            parts.append("\(jsonString(SafetensorsHeader.metadataKey)):{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            guard let t = tensors[name] else { continue }
            let end = offset + t.count * storage.dtype.byteSize
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(storage.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var bytes = Array("{\(parts.joined(separator: ","))}".utf8)
        while (8 + bytes.count) % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ s: String) -> String { JSONValue.string(s).canonicalText }

    private static func writeData(_ t: Tensor, storage: StorageType, to sink: AtomicFile.Sink) throws {
        switch storage {
        case .float32:
            try sink.write(UnsafeRawBufferPointer(start: t.data, count: t.count * 4))
        case .bfloat16:
            let chunk = 1 << 16
            var buffer = [UInt16](repeating: 0, count: min(chunk, max(t.count, 1)))
            var start = 0
            while start < t.count {
                let n = min(chunk, t.count - start)
                for i in 0..<n { buffer[i] = HalfPrecision.bfloat16Bits(from: t.data[start + i]).littleEndian }
                try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<(2 * n)])) }
                start += n
            }
        }
    }
}
