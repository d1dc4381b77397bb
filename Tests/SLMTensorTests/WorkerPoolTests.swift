import Foundation
import Synchronization
import Testing

@testable import SLMTensor

/// Teams of the worker pool: every chunk of every call runs once, on at most the caller's
/// share of the helpers, from any number of callers at once.
///
/// Serialized: the tests share one pool, and a test that counts the threads of a call needs
/// its helpers free.
@Suite(.serialized) struct WorkerPoolTests {
    /// A pool of its own (three helpers, as on a four-core machine), used by these tests only.
    static let pool = WorkerPool(helpers: 3)

    static var threadID: UInt { UInt(bitPattern: Int(bitPattern: pthread_self())) }

    @Test func theMachineIsDividedAmongTheJobs() {
        // Eight cores (seven helpers), and two.
        #expect([0, 1, 2, 3, 4, 5, 8, 9].map { WorkerPool.share(helpers: 7, jobs: $0) } == [7, 7, 3, 1, 1, 0, 0, 0])
        #expect([1, 2, 3].map { WorkerPool.share(helpers: 1, jobs: $0) } == [1, 0, 0])
    }

    /// One call's chunks and the threads that ran them.
    static func record(chunks: Int, jobs: Int) -> (counts: [Int], threads: Set<UInt>) {
        let lock = NSLock()
        var counts = [Int](repeating: 0, count: chunks), threads = Set<UInt>()
        pool.run(chunks, jobs: jobs) { c in
            lock.lock()
            counts[c] += 1
            threads.insert(threadID)
            lock.unlock()
        }
        return (counts, threads)
    }

    @Test func aJobTakesItsShareOfTheHelpersAndNoMore() {
        // Alone: the caller and all three helpers; two jobs: two threads; four: the caller only.
        for (jobs, threads) in [(1, 4), (2, 2), (4, 1)] {
            let (counts, used) = Self.record(chunks: 4, jobs: jobs)
            #expect(counts == [1, 1, 1, 1])
            #expect(used.count == threads, "\(jobs) jobs: \(used.count) threads")
            #expect(used.contains(Self.threadID))
        }
        // More chunks than threads: round-robin, each once.
        #expect(Self.record(chunks: 3, jobs: 2).counts == [1, 1, 1])
    }

    /// Four callers at once, bursts with pauses longer than the helpers' spin: every chunk of
    /// every call once, never more threads than the caller's share, no deadlock.
    @Test func concurrentCallersEachRunEveryChunkOnce() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for round in 0..<400 {
                if round % 100 == 99 { usleep(1_000) }
                let jobs = 1 + (round + caller) % 3
                let (counts, used) = Self.record(chunks: 4, jobs: jobs)
                if counts != [1, 1, 1, 1] || used.count > WorkerPool.share(helpers: 3, jobs: jobs) + 1 {
                    failures.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }
}
