import Foundation

/// One threading layer at a time (aesthetics §3.4): either OpenBLAS's own threads inside one
/// big product, or Swift workers over independent slices with OpenBLAS set to one thread —
/// never both (2 BLAS threads inside 2 Swift workers put 4 busy threads on 2 cores).
public enum Parallel {
    /// Swift workers for parallel loops (the machine's cores).
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(worker, i)` for every i in 0..<count, splitting the range into contiguous
    /// chunks over the workers; OpenBLAS runs single-threaded meanwhile and gets its thread
    /// count back afterwards. Sequential (BLAS threads untouched) when there is one chunk.
    public static func forEach(_ count: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 || BLASGate.insideRegion {
            for i in 0..<count { body(0, i) }
            return
        }
        if BLASGate.heldHere {
            // Inside `withSingleThreadedBLAS`: the gate is held and OpenBLAS is already at 1.
            split(count, chunks, body)
            return
        }
        // The thread count is process-wide: hold the gate so that no product elsewhere in the
        // process runs (with the wrong count) while it is 1, and no two regions interleave their
        // set/restore. Results then depend only on the data, not on what else runs — OpenBLAS
        // gives slightly different sums with 1 and 2 threads, which would break resumability.
        BLASGate.lock.lock()
        defer { BLASGate.lock.unlock() }
        let blasThreads = Matmul.threadCount
        Matmul.setThreadCount(1)
        defer { Matmul.setThreadCount(blasThreads) }
        split(count, chunks, body)
    }

    private static func split(_ count: Int, _ chunks: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                BLASGate.insideRegion = true
                defer { BLASGate.insideRegion = false }
                let start = count * w / chunks, end = count * (w + 1) / chunks
                for i in start..<end { run(w, i) }
            }
        }
    }

    /// Runs `body` with OpenBLAS single-threaded and the gate held, so that every product in it
    /// runs on the calling thread and `forEach` inside it splits work over the Swift workers
    /// without switching the thread count back and forth. For a pass that parallelises by
    /// itself (inference): after a multi-threaded product, OpenBLAS's idle threads spin for
    /// about 0.1 s and would take a core from the Swift workers.
    public static func withSingleThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        if BLASGate.heldHere || BLASGate.insideRegion { return try body() }
        BLASGate.lock.lock()
        defer { BLASGate.lock.unlock() }
        let blasThreads = Matmul.threadCount
        Matmul.setThreadCount(1)
        defer { Matmul.setThreadCount(blasThreads) }
        BLASGate.heldHere = true
        defer { BLASGate.heldHere = false }
        return try body()
    }
}

extension Parallel {
    /// Calls `body` on contiguous sub-ranges of 0..<count, one per worker, when count is at
    /// least `minimum` (one call over everything otherwise). For elementwise and row-wise
    /// kernels, which run no BLAS: the split is what makes the second core useful between
    /// products. Ranges are multiples of `granule` (keep SIMD bodies whole), except the last.
    public static func ranges(_ count: Int, minimum: Int = 1 << 16, granule: Int = 8, _ body: (Range<Int>) -> Void) {
        indexedRanges(count, minimum: minimum, granule: granule) { _, r in body(r) }
    }

    /// `ranges` that also passes the chunk index (0..<workers), e.g. for per-chunk partial sums.
    public static func indexedRanges(_ count: Int, minimum: Int = 1 << 16, granule: Int = 8,
                                     _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = count >= minimum ? min(workers, max(1, count / max(granule, 1))) : 1
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        let units = (count + granule - 1) / granule
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                let start = min(count, units * w / chunks * granule)
                let end = w == chunks - 1 ? count : min(count, units * (w + 1) / chunks * granule)
                if start < end { run(w, start..<end) }
            }
        }
    }
}

/// Serialises OpenBLAS use across threads of one process (see `Parallel.forEach`). Products
/// outside a parallel region take the gate briefly; products inside one (on its workers) do not.
enum BLASGate {
    static let lock = NSLock()
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static let heldKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Whether the current thread is a worker of a parallel region.
    static var insideRegion: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }

    /// Whether the current thread holds the gate in `Parallel.withSingleThreadedBLAS`.
    static var heldHere: Bool {
        get { pthread_getspecific(heldKey) != nil }
        set { pthread_setspecific(heldKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }

    /// Runs a product under the gate unless this thread is already inside a region or holds it.
    @inline(__always)
    static func run(_ body: () -> Void) {
        if insideRegion || heldHere { return body() }
        lock.lock()
        body()
        lock.unlock()
    }
}
