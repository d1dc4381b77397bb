import Foundation
import SLMCore

/// Writes packed token shards (docs/data.md): per split and stream, `<split>.<stream>.bin`
/// (little-endian uint32 ids, sequences back to back) and `<split>.<stream>.idx`
/// (little-endian uint64 offsets in ids, records + 1 of them, starting at 0); the loss mask
/// of decoder-only shards is `<split>.mask.bin`, one byte per id.
struct TokenStreamWriter {
    private(set) var ids = Data()
    private(set) var offsets = Data()
    private(set) var records = 0
    private(set) var tokens = 0

    init() { appendOffset(0) }

    private mutating func appendOffset(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { offsets.append(contentsOf: $0) }
    }

    mutating func append(_ sequence: [Int32]) {
        for id in sequence { withUnsafeBytes(of: UInt32(bitPattern: id).littleEndian) { ids.append(contentsOf: $0) } }
        tokens += sequence.count
        records += 1
        appendOffset(UInt64(tokens))
    }

    func write(folder: String, split: String, stream: String) throws {
        try AtomicFile.write(ids, to: folder + "/\(split).\(stream).bin")
        try AtomicFile.write(offsets, to: folder + "/\(split).\(stream).idx")
    }
}

/// How sequences longer than their maximum are cut.
enum Truncation: String {
    /// Keep the beginning (HF's default).
    case right
    /// Keep the end.
    case left
    /// Leave the record out.
    case drop

    /// The sequence cut to `limit`, or nil when the record is to be dropped.
    func apply(_ ids: [Int32], limit: Int) -> [Int32]? {
        guard ids.count > limit else { return ids }
        switch self {
        case .right: return Array(ids.prefix(limit))
        case .left: return Array(ids.suffix(limit))
        case .drop: return nil
        }
    }
}
