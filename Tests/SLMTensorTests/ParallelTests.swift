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

    @Test func forEachVisitsEachItemOnceAndRestoresBLASThreads() {
        let before = Matmul.threadCount
        let hits = Hits(37)
        hits.counts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let b = buffer
            Parallel.forEach(37) { worker, i in
                #expect(worker >= 0 && worker < Parallel.workers)
                b[i] += 1
            }
        }
        #expect(hits.counts.allSatisfy { $0 == 1 })
        #expect(Matmul.threadCount == before)
    }

    @Test func singleThreadedBLASScopeSplitsForEachAndRestoresThreads() {
        let before = Matmul.threadCount
        let hits = Hits(37)
        let inside = Parallel.withSingleThreadedBLAS {
            hits.counts.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let b = buffer
                Parallel.forEach(37) { worker, i in
                    #expect(worker >= 0 && worker < Parallel.workers)
                    b[i] += 1
                }
            }
            return Matmul.threadCount
        }
        #expect(inside == 1)
        #expect(hits.counts.allSatisfy { $0 == 1 })
        #expect(Matmul.threadCount == before)
    }
}
