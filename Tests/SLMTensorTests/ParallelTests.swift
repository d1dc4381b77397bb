import Foundation
import Testing
import SLMTensor

/// The work splitters cover every index exactly once, keep SIMD granules whole, and leave
/// OpenBLAS's thread count as they found it.
@Suite struct ParallelTests {
    final class Hits: @unchecked Sendable {
        // Written at distinct indices by different workers only.
        var counts: [Int]
        init(_ n: Int) { counts = Array(repeating: 0, count: n) }
    }

    @Test(arguments: [0, 1, 7, 8, 9, 1000, 65_536, 65_541, 200_003])
    func rangesCoverEveryIndexOnce(count: Int) {
        let hits = Hits(count)
        var chunksSeen = Set<Int>()
        let lock = NSLock()
        hits.counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let b = buffer
            Parallel.indexedRanges(count) { chunk, r in
                lock.lock(); chunksSeen.insert(chunk); lock.unlock()
                if r.upperBound < count { #expect(r.count % 8 == 0, "granule broken: \(r)") }
                for i in r { b[i] += 1 }
            }
        }
        #expect(hits.counts.allSatisfy { $0 == 1 })
        #expect(chunksSeen.allSatisfy { $0 >= 0 && $0 < Parallel.workers })
    }

    /// As many engine jobs side by side as cores (two stages on two cores): each runs every
    /// chunk of its loops on its own thread, split exactly as it would be alone (so results
    /// are the same).
    @Test func sideBySideJobsRunTheirOwnChunks() {
        let lock = NSLock()
        var threads = Set<UInt>(), workers = Set<Int>()
        let caller = UInt(bitPattern: Int(bitPattern: pthread_self()))
        func asJobs(_ n: Int, _ body: () -> Void) {
            if n == 0 { return body() }
            Parallel.asConcurrentJob { asJobs(n - 1, body) }
        }
        asJobs(Parallel.maxWorkers) {
            Parallel.forEach(64) { worker, _ in
                lock.lock()
                threads.insert(UInt(bitPattern: Int(bitPattern: pthread_self())))
                workers.insert(worker)
                lock.unlock()
            }
        }
        #expect(threads == [caller])
        #expect(workers == Set(0..<Parallel.workers))
    }

    @Test func forEachVisitsEachItemOnce() {
        let hits = Hits(37)
        hits.counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let b = buffer
            Parallel.forEach(37) { worker, i in
                #expect(worker >= 0 && worker < Parallel.workers)
                b[i] += 1
            }
        }
        #expect(hits.counts.allSatisfy { $0 == 1 })
    }

    @Test func nestedLoopsRunSequentiallyOnTheirWorker() {
        let hits = Hits(6 * 50)
        hits.counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let b = buffer
            Parallel.forEach(6) { _, i in
                #expect(Parallel.insideLoop)
                Parallel.forEach(50) { inner, j in
                    #expect(inner == 0)
                    b[i * 50 + j] += 1
                }
            }
        }
        #expect(hits.counts.allSatisfy { $0 == 1 })
        #expect(!Parallel.insideLoop)
    }

    /// Many small jobs in a row (a decode step's products), from two threads at once: every
    /// index of every job is visited once (the second caller runs its chunks itself while
    /// the pool is busy), and nothing deadlocks when helpers fall asleep between bursts.
    @Test func burstsOfJobsFromTwoThreadsCompleteExactly() async {
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<2 {
                group.addTask {
                    var ok = true
                    for round in 0..<300 {
                        if round % 100 == 99 { usleep(1_000) }  // longer than the helpers' spin
                        let hits = Hits(64 + caller)
                        hits.counts.withUnsafeMutableBufferPointer { buffer in
                            nonisolated(unsafe) let b = buffer
                            Parallel.forEach(b.count) { _, i in b[i] += 1 }
                        }
                        ok = ok && hits.counts.allSatisfy { $0 == 1 }
                    }
                    return ok
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}

/// Products big enough to be split over the workers (by rows, by columns, one-row sgemv) give
/// the single-threaded result: bit for bit when split by rows (how every training product with
/// a few dozen rows or more is split), within rounding when split by columns (OpenBLAS's
/// kernels sum a column differently depending on where it falls in a block).
@Suite struct SplitProductTests {
    /// (m, n, k, transA, transB, beta): row splits, column splits (few rows) and sgemv.
    static let shapes: [(Int, Int, Int, Bool, Bool, Float)] = [
        (300, 257, 40, false, true, 0), (301, 64, 129, true, false, 1), (40, 1000, 70, false, false, 0),
        (9, 999, 300, true, true, 1), (1, 4097, 65, false, true, 0), (1, 300, 513, false, false, 1),
    ]

    @Test(arguments: 0..<shapes.count)
    func splitProductEqualsUnsplitBitForBit(index: Int) {
        let (m, n, k, transA, transB, beta) = Self.shapes[index]
        let a = randomArray(m * k, seed: 1), b = randomArray(k * n, seed: 2), c0 = randomArray(m * n, seed: 3)
        let split = Tensor(shape: [m, n], values: c0), whole = Tensor(shape: [m, n], values: c0)
        Matmul.gemm(split.data, a, b, m: m, n: n, k: k, transA: transA, transB: transB, alpha: 0.5, beta: beta)
        // Inside a parallel loop a product runs whole on its worker.
        Parallel.forEach(2) { _, i in
            if i == 0 {
                Matmul.gemm(whole.data, a, b, m: m, n: n, k: k, transA: transA, transB: transB, alpha: 0.5, beta: beta)
            }
        }
        if m >= 32 * Parallel.workers { #expect(split.array == whole.array) }
        #expect(maxAbsDifference(split.array, whole.array) < 1e-4)
        let reference = Matmul.gemmReference(a.map(Double.init), b.map(Double.init), c: c0.map(Double.init), m: m, n: n,
                                             k: k, transA: transA, transB: transB, alpha: 0.5, beta: Double(beta))
        #expect(maxAbsDifference(split.array, reference.map(Float.init)) < 1e-3)
    }
}
