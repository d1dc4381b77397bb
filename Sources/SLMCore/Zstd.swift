import CZstd
import Foundation

/// Streaming zstd compression and decompression (libzstd), chunk by chunk, so files of any
/// size pass through a fixed amount of memory.
public final class ZstdCompressor {
    private let context: OpaquePointer
    private var output: [UInt8]

    public init(level: Int32 = 3) throws {
        guard let context = ZSTD_createCCtx() else { throw SystemError("zstd: cannot create a compression context") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "set level")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input`; `sink` receives the compressed bytes as they come.
    /// Call once more with `last: true` (input may be empty) to finish the frame.
    /// With `flush: true` everything given so far is written out (the frame stays open),
    /// so the bytes written measure how well the input compressed.
    public func compress(_ input: UnsafeRawBufferPointer, last: Bool, flush: Bool = false, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        let directive = last ? ZSTD_e_end : (flush ? ZSTD_e_flush : ZSTD_e_continue)
        try output.withUnsafeMutableBytes { out in
            while true {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let remaining = ZSTD_compressStream2(context, &outBuffer, &inBuffer, directive)
                try Zstd.check(remaining, "compress")
                if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos])) }
                let finished = last || flush ? remaining == 0 : inBuffer.pos == inBuffer.size
                if finished { return }
            }
        }
    }
}

public final class ZstdDecompressor {
    private let context: OpaquePointer
    private var output: [UInt8]
    private var frameOpen = false

    public init() throws {
        guard let context = ZSTD_createDCtx() else { throw SystemError("zstd: cannot create a decompression context") }
        self.context = context
        output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
    }

    deinit { ZSTD_freeDCtx(context) }

    public func decompress(_ input: UnsafeRawBufferPointer, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        try output.withUnsafeMutableBytes { out in
            while inBuffer.pos < inBuffer.size || frameOpen {
                var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                try Zstd.check(hint, "decompress")
                frameOpen = hint != 0
                if outBuffer.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[0..<outBuffer.pos])) }
                // The frame wants more input than this chunk holds: wait for the next call.
                if inBuffer.pos == inBuffer.size && outBuffer.pos < outBuffer.size { break }
            }
        }
    }

    /// Throws if the stream ended in the middle of a frame (a truncated file).
    public func finish() throws {
        if frameOpen { throw SystemError("zstd: the compressed data ends in the middle of a frame") }
    }
}

public enum Zstd {
    static func check(_ code: Int, _ what: String) throws {
        if ZSTD_isError(code) != 0 {
            throw SystemError("zstd \(what): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }

    public static func compress(_ bytes: some ContiguousBytes, level: Int32 = 3) throws -> [UInt8] {
        let compressor = try ZstdCompressor(level: level)
        var out = [UInt8]()
        try bytes.withUnsafeBytes { input in
            try compressor.compress(input, last: true) { out.append(contentsOf: $0) }
        }
        return out
    }

    public static func decompress(_ bytes: some ContiguousBytes) throws -> [UInt8] {
        let decompressor = try ZstdDecompressor()
        var out = [UInt8]()
        try bytes.withUnsafeBytes { input in
            try decompressor.decompress(input) { out.append(contentsOf: $0) }
        }
        try decompressor.finish()
        return out
    }
}
