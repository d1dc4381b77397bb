import CCrypto
import Foundation

/// A SHA-256 digest: 32 bytes, written as 64 lowercase hex characters.
public struct Digest: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let hex: String

    /// Accepts exactly 64 hex characters (either case), optionally behind `sha256:`.
    public init?(hex: String) {
        var text = Substring(hex)
        if text.hasPrefix("sha256:") { text = text.dropFirst(7) }
        guard text.utf8.count == 64, text.utf8.allSatisfy({ Self.isHexDigit($0) }) else { return nil }
        self.hex = text.lowercased()
    }

    init(bytes: UnsafeRawBufferPointer) {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        self.hex = String(decoding: out, as: UTF8.self)
    }

    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits, for people.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let digest = Digest(hex: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a sha256 digest: '\(text)'"))
        }
        self = digest
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    }
}

/// Incremental SHA-256 on OpenSSL's libcrypto, which uses the CPU's SHA extensions
/// (about 1 GB/s here against 138 MB/s for coreutils' `sha256sum`).
public final class SHA256 {
    private let context: OpaquePointer

    public init() {
        // Allocation failure of a 200-byte context is not recoverable in any useful way.
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Finishes the hash; the hasher must not be used afterwards.
    public func finish() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return out.withUnsafeBytes { Digest(bytes: $0) }
    }

    public static func hash<Bytes: ContiguousBytes>(_ bytes: Bytes) -> Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finish()
    }

    public static func hash(_ text: String) -> Digest {
        let hasher = SHA256()
        hasher.update(text)
        return hasher.finish()
    }

    /// Hashes a file in 4 MiB reads with one reused buffer. Returns the digest and byte count.
    public static func hashFile(atPath path: String) throws -> (digest: Digest, size: Int64) {
        let file = try ReadableFile(path: path)
        let hasher = SHA256()
        var size: Int64 = 0
        try file.forEachChunk { chunk in
            hasher.update(chunk)
            size += Int64(chunk.count)
        }
        return (hasher.finish(), size)
    }
}
