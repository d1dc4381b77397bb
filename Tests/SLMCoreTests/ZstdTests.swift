import Testing

@testable import SLMCore

@Suite struct ZstdTests {
    @Test func roundTripsTextAndEmpty() throws {
        let text = Array(String(repeating: "the quick brown fox jumps over the lazy dog\n", count: 5000).utf8)
        let compressed = try Zstd.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(try Zstd.decompress(compressed) == text)
        #expect(try Zstd.decompress(try Zstd.compress([UInt8]())) == [])
    }

    @Test func streamingInSmallPiecesRoundTrips() throws {
        let input = (0..<300_000).map { UInt8(truncatingIfNeeded: ($0 / 7) % 251) }
        let compressor = try ZstdCompressor(level: 3)
        var compressed = [UInt8]()
        var offset = 0
        while offset < input.count {
            let end = min(offset + 4093, input.count)
            try input[offset..<end].withUnsafeBytes { try compressor.compress($0, last: false) { compressed += $0 } }
            offset = end
        }
        try compressor.compress(UnsafeRawBufferPointer(start: nil, count: 0), last: true) { compressed += $0 }
        // Feed the decompressor byte by byte: frames that straddle calls must work.
        let decompressor = try ZstdDecompressor()
        var output = [UInt8]()
        for byte in compressed {
            try [byte].withUnsafeBytes { try decompressor.decompress($0) { output += $0 } }
        }
        try decompressor.finish()
        #expect(output == input)
    }

    @Test func truncatedOrGarbageInputIsAnError() throws {
        let compressed = try Zstd.compress(Array(repeating: UInt8(7), count: 100_000))
        #expect(throws: SystemError.self) { try Zstd.decompress(Array(compressed.dropLast(3))) }
        #expect(throws: SystemError.self) { try Zstd.decompress([1, 2, 3, 4, 5, 6, 7, 8]) }
    }
}
