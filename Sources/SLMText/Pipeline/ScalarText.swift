/// Text operations by Unicode scalar (byte-exact), as Rust's `str` does them. Swift's
/// `String` compares by canonical equivalence ("ά" U+03AC == U+1F71, "#" + U+0940 does not
/// start with "#"), which would make tokens collide or prefixes go unseen.
extension String {
    func hasScalarPrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    func droppingScalarPrefix(_ prefix: String) -> String {
        hasScalarPrefix(prefix) ? String(decoding: utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : self
    }

    /// Every non-overlapping occurrence of `target`, left to right, replaced.
    func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(utf8)
        let needle = Array(target.utf8)
        guard !needle.isEmpty, source.count >= needle.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(source.count)
        let first = needle[0]
        var i = 0
        var changed = false
        while i < source.count {
            if source[i] == first, i + needle.count <= source.count, source[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                changed = true
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}

/// A dictionary key that compares token strings byte for byte.
public struct TokenKey: Hashable, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }

    public static func == (a: TokenKey, b: TokenKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    public func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

enum ScalarOffsets {
    /// `offsets[i]` is the UTF-8 offset of scalar i; `offsets[count]` the total length.
    static func utf8Offsets(_ scalars: [Unicode.Scalar]) -> [Int] {
        var offsets = [Int](repeating: 0, count: scalars.count + 1)
        var position = 0
        for (index, scalar) in scalars.enumerated() {
            offsets[index] = position
            let value = scalar.value
            position += value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
        }
        offsets[scalars.count] = position
        return offsets
    }
}
