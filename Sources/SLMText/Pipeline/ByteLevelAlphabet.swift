/// GPT-2's reversible map from bytes to printable Unicode scalars (`bytes_to_unicode`):
/// printable Latin-1 bytes map to themselves, the other 68 to U+0100 onwards.
public enum ByteLevelAlphabet {
    public static let scalarForByte: [Unicode.Scalar] = {
        var printable = Set<UInt32>()
        for range in [0x21...0x7E, 0xA1...0xAC, 0xAE...0xFF] { for b in range { printable.insert(UInt32(b)) } }
        var next: UInt32 = 256
        return (0..<256).map { byte in
            if printable.contains(UInt32(byte)) { return Unicode.Scalar(UInt32(byte))! }
            defer { next += 1 }
            return Unicode.Scalar(next)!
        }
    }()

    /// Scalar value → byte, for decoding; nil for scalars outside the alphabet.
    public static let byteForScalar: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarForByte.enumerated() { map[scalar.value] = UInt8(byte) }
        return map
    }()

    /// The 256 one-character strings of the alphabet, in byte order.
    public static var characters: [String] { scalarForByte.map { String(Character($0)) } }
}
