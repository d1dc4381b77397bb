/// Byte-plane shuffling for 4-byte values (float32 weights): byte p of every value goes to
/// plane p. The plane of sign-and-exponent bytes is highly repetitive, so zstd compresses
/// the shuffled bytes far better than the interleaved ones. Trailing bytes that do not
/// fill a value stay in place.
public enum ByteShuffle {
    public static func shuffle4(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= source.count)
        let values = source.count / 4
        let input = source.bindMemory(to: UInt8.self), output = destination.bindMemory(to: UInt8.self)
        for plane in 0..<4 {
            let base = plane * values
            for index in 0..<values { output[base + index] = input[index &* 4 &+ plane] }
        }
        for tail in values * 4..<source.count { output[tail] = input[tail] }
    }

    public static func unshuffle4(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) {
        precondition(destination.count >= source.count)
        let values = source.count / 4
        let input = source.bindMemory(to: UInt8.self), output = destination.bindMemory(to: UInt8.self)
        for plane in 0..<4 {
            let base = plane * values
            for index in 0..<values { output[index &* 4 &+ plane] = input[base + index] }
        }
        for tail in values * 4..<source.count { output[tail] = input[tail] }
    }
}

/// Regroups a byte stream that arrives in pieces of any size into chunks of exactly
/// `size` bytes (the last may be shorter), for transforms that work per chunk.
public final class FixedChunker {
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private let emit: (UnsafeRawBufferPointer) throws -> Void

    public init(size: Int, emit: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        buffer = .allocate(byteCount: size, alignment: 64)
        self.emit = emit
    }

    deinit { buffer.deallocate() }

    public func add(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(buffer.count - filled, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
            filled += take
            offset += take
            if filled == buffer.count {
                try emit(UnsafeRawBufferPointer(buffer))
                filled = 0
            }
        }
    }

    public func finish() throws {
        if filled > 0 { try emit(UnsafeRawBufferPointer(rebasing: buffer[0..<filled])) }
        filled = 0
    }
}
