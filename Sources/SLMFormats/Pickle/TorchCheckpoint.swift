import Foundation

/// A checkpoint written by `torch.save` (the zip format: `<name>/data.pkl` plus one raw
/// little-endian member per storage under `<name>/data/<key>`), read without executing
/// its pickle. A file that is not a zip is read as a bare pickle so that hostile content
/// is still refused by the allow-list; a well-formed legacy (pre-1.6) file is reported
/// as unsupported.
public final class TorchCheckpoint {
    public let path: String
    /// The unpickled object: usually a dict (a state dict or a wrapper around one).
    public let root: PickleValue
    private let archive: ZipArchive
    private let prefix: String
    private var storages: [String: Data] = [:]

    public init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TorchCheckpointError(path, "cannot open the file")
        }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        try? handle.close()
        guard magic.starts(with: [0x50, 0x4B]) else {
            let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
            _ = try SafeUnpickler.load(bytes, source: path)
            throw TorchCheckpointError(path, "not a zip archive: the legacy torch.save format (before PyTorch 1.6) is not supported; re-save it with a current PyTorch")
        }
        archive = try ZipArchive(path: path)
        guard let pickle = archive.members.first(where: { $0.name.hasSuffix("data.pkl") && $0.name.split(separator: "/").count <= 2 }) else {
            throw TorchCheckpointError(path, "no data.pkl member: not a torch.save checkpoint")
        }
        prefix = String(pickle.name.dropLast("data.pkl".count))
        root = try SafeUnpickler.load([UInt8](try archive.contents(of: pickle)), source: "\(path):\(pickle.name)")
    }

    /// The tensor's elements in row-major order as little-endian bytes (strided views are gathered).
    public func contiguousBytes(of tensor: TorchTensorReference) throws -> [UInt8] {
        let storage = try storageBytes(tensor.storage)
        let width = tensor.storage.dtype.byteSize
        var count = 1
        for dimension in tensor.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw TorchCheckpointError(path, "tensor shape \(tensor.shape) overflows") }
            count = product
        }
        // The furthest element touched must lie inside the storage.
        var last = tensor.offset
        for (dimension, stride) in zip(tensor.shape, tensor.strides) where dimension > 0 {
            let (step, overflow) = (dimension - 1).multipliedReportingOverflow(by: stride)
            guard !overflow else { throw TorchCheckpointError(path, "tensor strides \(tensor.strides) overflow") }
            last += step
        }
        guard count == 0 || (tensor.offset >= 0 && last < tensor.storage.elementCount && (last + 1) * width <= storage.count) else {
            throw TorchCheckpointError(path, "tensor of shape \(tensor.shape) at offset \(tensor.offset) with strides \(tensor.strides) reaches past storage '\(tensor.storage.key)' of \(tensor.storage.elementCount) elements (\(storage.count) bytes)")
        }
        if count == 0 { return [] }
        var contiguous = true
        var expected = 1
        for (dimension, stride) in zip(tensor.shape, tensor.strides).reversed() where dimension != 1 {
            if stride != expected { contiguous = false }
            expected *= dimension
        }
        return storage.withUnsafeBytes { raw -> [UInt8] in
            if contiguous {
                return Array(raw[tensor.offset * width..<(tensor.offset + count) * width])
            }
            var out = [UInt8]()
            out.reserveCapacity(count * width)
            var index = [Int](repeating: 0, count: tensor.shape.count)
            for _ in 0..<count {
                var element = tensor.offset
                for axis in 0..<index.count { element += index[axis] * tensor.strides[axis] }
                out.append(contentsOf: raw[element * width..<(element + 1) * width])
                var axis = index.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < tensor.shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
            return out
        }
    }

    private func storageBytes(_ storage: TorchStorageReference) throws -> Data {
        if let cached = storages[storage.key] { return cached }
        let name = prefix + "data/" + storage.key
        guard let member = archive.member(named: name) else {
            throw TorchCheckpointError(path, "storage member '\(name)' named by the pickle is missing")
        }
        let bytes = try archive.contents(of: member)
        let (needed, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.byteSize)
        guard !overflow, bytes.count >= needed else {
            throw TorchCheckpointError(path, "storage '\(name)' holds \(bytes.count) bytes; \(storage.elementCount) \(storage.dtype.rawValue) elements need \(needed)")
        }
        storages[storage.key] = bytes
        return bytes
    }
}

public struct TorchCheckpointError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "torch checkpoint \(path): \(message)" }
}
