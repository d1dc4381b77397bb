import Foundation

/// One threading layer at a time (aesthetics §3.4): either OpenBLAS's own threads inside one
/// big product, or Swift workers over independent slices with OpenBLAS set to one thread —
/// never both (2 BLAS threads inside 2 Swift workers put 4 busy threads on 2 cores).
public enum Parallel {
    /// Swift workers for parallel loops (the machine's cores).
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// OpenBLAS's thread count is process-wide: parallel regions on several threads at once
    /// (two trainings in one process) must not save each other's "1" and restore it, which
    /// left BLAS single-threaded for good. Counted: the first region in saves, the last out restores.
    static let singleThreadedBLAS = BLASThreadGuard()

    /// Runs `body(worker, i)` for every i in 0..<count, splitting the range into contiguous
    /// chunks over the workers; OpenBLAS runs single-threaded meanwhile and gets its thread
    /// count back afterwards. Sequential (BLAS threads untouched) when there is one chunk.
    public static func forEach(_ count: Int, _ body: (_ worker: Int, _ index: Int) -> Void) {
        let chunks = min(workers, count)
        if chunks <= 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        singleThreadedBLAS.enter()
        defer { singleThreadedBLAS.leave() }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                let start = count * w / chunks, end = count * (w + 1) / chunks
                for i in start..<end { run(w, i) }
            }
        }
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

/// Reference-counted "OpenBLAS on one thread" for overlapping parallel regions.
final class BLASThreadGuard: @unchecked Sendable {
    private let lock = NSLock()
    private var regions = 0
    private var saved = 1

    func enter() {
        lock.lock()
        defer { lock.unlock() }
        if regions == 0 {
            saved = Matmul.threadCount
            Matmul.setThreadCount(1)
        }
        regions += 1
    }

    func leave() {
        lock.lock()
        defer { lock.unlock() }
        regions -= 1
        if regions == 0 { Matmul.setThreadCount(saved) }
    }
}
