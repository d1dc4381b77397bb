import Foundation
import Synchronization

/// Parallel loops over the engine's threads (`WorkerPool`: the calling thread plus helpers).
/// One threading layer (aesthetics §3.4): OpenBLAS always runs single-threaded, and big
/// products are split here too (`Matmul.gemm`), so a product inside a parallel loop never
/// starts threads of its own, and no library thread spins beside the workers.
public enum Parallel {
    private static let activeWorkers = Atomic<Int>(WorkerPool.shared.helperCount + 1)

    /// Threads a parallel loop splits over (the machine's cores unless `setWorkers` lowered it).
    public static var workers: Int { activeWorkers.load(ordering: .relaxed) }

    /// The most workers a loop can ever use: size per-worker storage by this, never by
    /// `workers`, which `setWorkers` may change between the sizing and the loop.
    public static var maxWorkers: Int { WorkerPool.shared.helperCount + 1 }

    /// Uses `count` threads (1 … the machine's cores) from now on; benchmarks compare counts.
    public static func setWorkers(_ count: Int) {
        activeWorkers.store(min(max(1, count), maxWorkers), ordering: .relaxed)
    }

    /// Runs `body` as one of the process's engine jobs (a pipeline stage that trains or
    /// decodes). Jobs side by side share the helpers: each loop of a job runs on its calling
    /// thread and at most its share of helpers (cores ÷ jobs, less one), so two stages on
    /// eight cores get four threads each, and as many stages as cores each run their loops on
    /// their own thread. The chunks are split as always, so results do not change.
    public static func asConcurrentJob<T>(_ body: () throws -> T) rethrows -> T {
        WorkerPool.concurrentJobs.add(1, ordering: .relaxed)
        defer { WorkerPool.concurrentJobs.subtract(1, ordering: .relaxed) }
        return try body()
    }

    /// Whether the current thread is running a chunk of a parallel loop (nested loops and
    /// products then run sequentially on it).
    public static var insideLoop: Bool { WorkerPool.isParticipant }

    /// Runs `body(chunk, i)` for every i in 0..<count, splitting the range into contiguous
    /// chunks, at most `workers` (per-chunk scratch is indexed by `chunk`: a thread may run
    /// several chunks, one after another). Sequential inside another loop or with one chunk.
    public static func forEach(_ count: Int, _ body: (_ chunk: Int, _ index: Int) -> Void) {
        precondition(count >= 0, "negative loop count \(count)")
        let chunks = insideLoop ? 1 : min(workers, count)
        if chunks <= 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        WorkerPool.shared.run(chunks) { w in
            for i in (count * w / chunks)..<(count * (w + 1) / chunks) { body(w, i) }
        }
    }

    /// Calls `body` on contiguous sub-ranges of 0..<count, at most one per worker, when count is at
    /// least `minimum` (one call over everything otherwise). For elementwise and row-wise
    /// kernels: the split is what makes the other cores useful between products. Ranges are
    /// multiples of `granule` (keep SIMD bodies whole), except the last.
    public static func ranges(_ count: Int, minimum: Int = 1 << 16, granule: Int = 8, _ body: (Range<Int>) -> Void) {
        indexedRanges(count, minimum: minimum, granule: granule) { _, r in body(r) }
    }

    /// `ranges` that also passes the chunk index (0..<workers), e.g. for per-chunk partial sums.
    public static func indexedRanges(_ count: Int, minimum: Int = 1 << 16, granule: Int = 8,
                                     _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        precondition(count >= 0 && granule >= 1, "bad range split: count \(count), granule \(granule)")
        let chunks = count >= minimum && !insideLoop ? min(workers, max(1, count / granule)) : 1
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        let units = (count + granule - 1) / granule
        WorkerPool.shared.run(chunks) { w in
            let start = min(count, units * w / chunks * granule)
            let end = w == chunks - 1 ? count : min(count, units * (w + 1) / chunks * granule)
            if start < end { body(w, start..<end) }
        }
    }
}
