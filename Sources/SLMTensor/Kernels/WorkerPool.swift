import CShims
import Foundation
import Synchronization

/// The engine's threads: a fixed set of helper threads that, with the calling thread, run the
/// chunks of parallel jobs (`Parallel`, split products in `Matmul`). The only threading
/// layer — OpenBLAS runs single-threaded (aesthetics §3.4: never nest threads).
///
/// Each call of `run` takes a team: the calling thread and the helpers it can claim, up to
/// its share of the machine (its cores divided among the engine jobs running side by side,
/// `Parallel.asConcurrentJob`). The chunks are spread over the team round-robin; the team
/// never changes which chunks there are, so results do not depend on how many helpers a call
/// got. One job alone gets every helper; two jobs on eight cores get three helpers each; as
/// many jobs as cores run their chunks on their own threads.
///
/// After an assignment a helper spins for `spinNanoseconds` (so the dozens of small jobs of one
/// decode step or one layer cost no wake-ups), then sleeps on its own condition variable.
/// OpenBLAS's own threads spin about 0.1 s after every threaded product; next to Swift workers
/// on two cores that took a core away from them (measured: first-token latency up to 1.3×).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle helper spins before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    /// Engine jobs running side by side in this process (`Parallel.asConcurrentJob`).
    static let concurrentJobs = Atomic<Int>(0)

    let helperCount: Int
    private let helpers: [Helper]

    init(helpers count: Int) {
        helperCount = count
        helpers = (0..<count).map { _ in Helper() }
        for (index, helper) in helpers.enumerated() {
            let thread = Thread { helper.loop() }
            thread.name = "slmflow-worker-\(index + 1)"
            thread.start()
        }
    }

    /// Helpers one call of `run` may claim: its share of the machine's threads (the caller
    /// and `helpers` helpers) among the engine jobs now running, less itself. Rounded down: a
    /// core left idle (three jobs on eight cores use six) costs less than threads fighting
    /// over cores, which is what slowed two stages on two cores before.
    static func share(helpers: Int, jobs: Int) -> Int {
        max(0, (helpers + 1) / max(1, jobs) - 1)
    }

    /// Runs `body(chunk)` for every chunk in 0..<chunks and returns when all have finished:
    /// round-robin over the calling thread (chunks 0, n, 2n, …) and the n − 1 helpers it
    /// claimed. `chunks` ≤ helperCount + 1. With no helper free, or no share left for this
    /// job, the calling thread runs every chunk itself: the same chunks, so the same results.
    /// `jobs`: the engine jobs the machine is shared among (tests pass it).
    func run(_ chunks: Int, jobs: Int = concurrentJobs.load(ordering: .relaxed), _ body: (_ chunk: Int) -> Void) {
        precondition(chunks >= 1 && chunks <= helperCount + 1, "\(chunks) chunks for \(helperCount) helpers")
        let wanted = chunks > 1 && !WorkerPool.isParticipant ? min(chunks - 1, Self.share(helpers: helperCount, jobs: jobs)) : 0
        // The team's helpers by index, on the stack: a decode step makes dozens of calls.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: max(wanted, 1)) { team in
            let size = claim(wanted, into: team)
            if size == 0 {
                for c in 0..<chunks { WorkerPool.asParticipant { body(c) } }
            } else {
                run(chunks, on: UnsafeBufferPointer(rebasing: team[..<size]), body)
            }
        }
    }

    /// Claims up to `wanted` free helpers, writing their indices into `team`; returns how many.
    private func claim(_ wanted: Int, into team: UnsafeMutableBufferPointer<Int>) -> Int {
        var size = 0
        for (index, helper) in helpers.enumerated() {
            if size == wanted { break }
            guard helper.claim() else { continue }
            team[size] = index
            size += 1
        }
        return size
    }

    /// Chunks round-robin over the calling thread and the claimed `team`; returns when all ran.
    private func run(_ chunks: Int, on team: UnsafeBufferPointer<Int>, _ body: (_ chunk: Int) -> Void) {
        let threads = team.count + 1
        let pending = Atomic<Int>(team.count)
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: pending) { pending in
                for (t, index) in team.enumerated() {
                    helpers[index].start(Assignment(body: body, first: t + 1, stride: threads, chunks: chunks, pending: pending))
                }
                WorkerPool.asParticipant { for c in stride(from: 0, to: chunks, by: threads) { body(c) } }
                // A helper finishing chunks of similar size arrives within microseconds; one that
                // lost its core to another process may take a time slice, which spinning on would
                // only prolong.
                var spins = 0
                while pending.pointee.load(ordering: .acquiring) > 0 {
                    spins += 1
                    if spins < 4096 { cshims_cpu_relax() } else { sched_yield() }
                }
            }
        }
    }

    /// One helper's part of a call of `run`: chunks first, first + stride, … below `chunks`.
    /// `body` and `pending` live on the caller's stack until `pending` reaches 0.
    struct Assignment {
        let body: (Int) -> Void
        let first, stride, chunks: Int
        let pending: UnsafePointer<Atomic<Int>>
    }

    /// A helper thread: claimed by one caller at a time, given one assignment per claim.
    final class Helper: @unchecked Sendable {
        private let claimed = Atomic<Bool>(false)
        /// Bumped once per assignment; the helper runs one when it sees a value it has not run.
        private let generation = Atomic<Int>(0)
        private let sleeping = Atomic<Bool>(false)
        private let wakeup = NSCondition()
        // Written by the claiming caller before `generation` is bumped (release), read by the
        // helper after it sees the bump (acquire), cleared by the helper before it is released.
        nonisolated(unsafe) private var assignment: Assignment?

        /// Acquires the helper; pairs with the release in `loop`, so the helper's clearing of
        /// its last assignment happens before the claimer writes the next one.
        func claim() -> Bool {
            claimed.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        }

        func start(_ work: Assignment) {
            assignment = work
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleeping.load(ordering: .sequentiallyConsistent) {
                wakeup.lock()
                wakeup.signal()
                wakeup.unlock()
            }
        }

        func loop() {
            WorkerPool.isParticipant = true
            var seen = 0
            while true {
                seen = nextGeneration(after: seen)
                // `perform` has dropped the caller's `body` when it returns: the caller may
                // leave `withoutActuallyEscaping` (which checks) as soon as `pending` is 0.
                guard let pending = perform() else { preconditionFailure("a new generation without an assignment") }
                // Free for another claim before the caller sees its loop done, so its next
                // loop finds its helpers free again.
                claimed.store(false, ordering: .releasing)
                pending.pointee.subtract(1, ordering: .releasing)
            }
        }

        /// Runs the assignment's chunks and drops it; returns its `pending`.
        @inline(never)
        private func perform() -> UnsafePointer<Atomic<Int>>? {
            guard let work = assignment else { return nil }
            assignment = nil
            for c in stride(from: work.first, to: work.chunks, by: work.stride) { work.body(c) }
            return work.pending
        }

        /// Spins, then sleeps, until `generation` differs from `seen`; returns its new value.
        private func nextGeneration(after seen: Int) -> Int {
            var current = generation.load(ordering: .acquiring)
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while current == seen {
                spins += 1
                if spins % 64 == 0 && DispatchTime.now().uptimeNanoseconds - start > WorkerPool.spinNanoseconds {
                    return sleep(until: seen)
                }
                // The first microseconds on the core; then yield it to any other runnable
                // thread (a second stage of the same run) between looks.
                if spins < 1024 { cshims_cpu_relax() } else { sched_yield() }
                current = generation.load(ordering: .acquiring)
            }
            return current
        }

        /// The store of a new generation and the load of `sleeping` (caller), and the store of
        /// `sleeping` and the load of `generation` (here), are sequentially consistent: either
        /// the caller sees this helper asleep and signals under the lock, or the helper sees
        /// the new generation.
        private func sleep(until seen: Int) -> Int {
            wakeup.lock()
            sleeping.store(true, ordering: .sequentiallyConsistent)
            var current = generation.load(ordering: .sequentiallyConsistent)
            while current == seen {
                wakeup.wait()
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            sleeping.store(false, ordering: .sequentiallyConsistent)
            wakeup.unlock()
            return current
        }
    }

    // MARK: Participation (thread-local)

    private static let participantKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Whether the current thread is running a chunk of a job: nested parallel loops and
    /// products then run sequentially on it.
    static var isParticipant: Bool {
        get { pthread_getspecific(participantKey) != nil }
        set { pthread_setspecific(participantKey, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }

    private static func asParticipant(_ body: () -> Void) {
        if isParticipant { return body() }
        isParticipant = true
        defer { isParticipant = false }
        body()
    }
}
