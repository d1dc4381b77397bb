import Testing

@testable import SLMTensor

/// The buffer pool's size classes: varying batch shapes reuse buffers instead of each
/// leaving their own behind.
@Suite struct BufferPoolTests {
    @Test func sizeClassesAreTightAndShared() {
        var previous = 0
        for count in stride(from: 1, to: 3_000_000, by: 997) {
            let size = BufferPool.sizeClass(count)
            #expect(size >= count && Double(size) <= Double(count) * 1.125, "\(count) → \(size)")
            #expect(size >= previous, "monotonic")
            previous = size
        }
        #expect(BufferPool.sizeClass(16_385) == BufferPool.sizeClass(17_000), "near sizes share a class")
    }

    @Test func aFreedBufferServesANearSize() {
        let pool = BufferPool()
        let first = pool.take(count: 40_000)
        pool.give(first, count: 40_000)
        let second = pool.take(count: 40_500)
        #expect(second == first, "40,000 and 40,500 floats fall in one class")
        pool.give(second, count: 40_500)
        pool.drain()
    }
}
