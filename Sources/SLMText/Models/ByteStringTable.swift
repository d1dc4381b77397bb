import Foundation

/// A hash table from token strings to ids that compares UTF-8 bytes exactly (Swift's
/// `String` equality is canonical equivalence, which would merge distinct tokens).
/// Open addressing over one contiguous byte buffer: fast to build for 100k-token vocabularies.
struct ByteStringTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    /// Slot → entry index + 1 (0 = empty).
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { ids.count }

    @inline(__always)
    private static func hash(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in buffer { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    func id(_ key: String) -> Int32? {
        var key = key
        return key.withUTF8 { find($0) }
    }

    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(key) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if equals(entry - 1, key) { return ids[entry - 1] }
            slot = (slot + 1) & mask
        }
    }

    private func equals(_ entry: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = Int(lengths[entry])
        guard length == key.count else { return false }
        let start = Int(starts[entry])
        return bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress, let other = key.baseAddress else { return length == 0 }
            return memcmp(base + start, other, length) == 0
        }
    }

    /// Inserts `key` → `id` unless the key is present; returns the id the key now has.
    @discardableResult
    mutating func insert(_ key: String, id: Int32) -> Int32 {
        var key = key
        return key.withUTF8 { buffer in
            if let existing = find(buffer) { return existing }
            if (ids.count + 1) * 2 > slots.count { grow() }
            starts.append(Int32(bytes.count))
            lengths.append(Int32(buffer.count))
            bytes.append(contentsOf: buffer)
            ids.append(id)
            place(ids.count - 1, hash: Self.hash(buffer))
            return id
        }
    }

    private mutating func place(_ entry: Int, hash: Int) {
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for entry in 0..<ids.count {
            let start = Int(starts[entry]), length = Int(lengths[entry])
            let h = bytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start..<(start + length)])) }
            place(entry, hash: h)
        }
    }
}
