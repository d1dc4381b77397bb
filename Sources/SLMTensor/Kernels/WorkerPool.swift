import CShims
import Foundation
import Synchronization

/// The engine's threads: a fixed set of helper threads that, with the calling thread, run the
/// chunks of one parallel job at a time (`Parallel`, split products in `Matmul`). The only
/// threading layer — OpenBLAS runs single-threaded (aesthetics §3.4: never nest threads).
///
/// After a job a helper spins for `spinNanoseconds` (so the dozens of small jobs of one decode
/// step or one layer cost no wake-ups), then sleeps on a condition variable. OpenBLAS's own
/// threads spin about 0.1 s after every threaded product; next to Swift workers on two cores
/// that took a core away from them (measured: first-token latency up to 1.3× longer).
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: max(0, ProcessInfo.processInfo.activeProcessorCount - 1))

    /// How long an idle helper spins before it sleeps.
    static let spinNanoseconds: UInt64 = 200_000

    /// Engine jobs running side by side in this process (`Parallel.asConcurrentJob`).
    static let concurrentJobs = Atomic<Int>(0)

    let helperCount: Int
    /// Bumped once per job; helpers run a job when they see a value they have not run.
    private let generation = Atomic<Int>(0)
    /// Helpers that have not yet finished the current job.
    private let pending = Atomic<Int>(0)
    /// Helpers asleep (or about to be) on `wakeup`.
    private let sleepers = Atomic<Int>(0)
    private let wakeup = NSCondition()
    /// One job at a time; a second caller runs its chunks itself.
    private let submission = NSLock()
    // Written by the submitting thread before `generation` is bumped (release) and read by
    // helpers after they see the bump (acquire); cleared only after every helper is done.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var jobChunks = 0

    init(helpers: Int) {
        helperCount = helpers
        for index in 0..<helpers {
            let thread = Thread { [unowned self] in self.helperLoop(index: index + 1) }
            thread.name = "slmflow-worker-\(index + 1)"
            thread.start()
        }
    }

    /// Runs `body(chunk)` for every chunk in 0..<chunks, chunk 0 on the calling thread and the
    /// others on helpers, and returns when all have finished. `chunks` ≤ helperCount + 1.
    /// With at least as many engine jobs side by side as cores, or while another caller has
    /// the helpers, the calling thread runs every chunk itself: the same chunks, so the same
    /// results. (Fewer jobs than cores: one of them takes the helpers, as before; sharing the
    /// helpers out between jobs is not done yet.)
    func run(_ chunks: Int, _ body: (_ chunk: Int) -> Void) {
        precondition(chunks >= 1 && chunks <= helperCount + 1, "\(chunks) chunks for \(helperCount) helpers")
        if chunks == 1 || Self.concurrentJobs.load(ordering: .relaxed) > helperCount || !submission.try() {
            for c in 0..<chunks { WorkerPool.asParticipant { body(c) } }
            return
        }
        defer { submission.unlock() }
        withoutActuallyEscaping(body) { body in
            job = body
            jobChunks = chunks
            // Every helper takes part in every job (those past `chunks` only acknowledge it),
            // so no straggler of one job can mistake the next one for its own.
            pending.store(helperCount, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wakeup.lock()
                wakeup.broadcast()
                wakeup.unlock()
            }
            WorkerPool.asParticipant { body(0) }
            // A helper finishing a chunk of similar size arrives within microseconds; one that
            // lost its core to another process (two stages in one run, a second slmflow) may
            // take a time slice, which spinning on would only prolong.
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins < 4096 { cshims_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    private func helperLoop(index: Int) {
        WorkerPool.isParticipant = true
        var seen = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            if current == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while current == seen {
                    spins += 1
                    if spins % 64 == 0 && DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds {
                        current = sleep(until: seen)
                        break
                    }
                    // The first microseconds on the core; then yield it to any other runnable
                    // thread (a second stage of the same run) between looks.
                    if spins < 1024 { cshims_cpu_relax() } else { sched_yield() }
                    current = generation.load(ordering: .acquiring)
                }
            }
            seen = current
            if index < jobChunks, let job { job(index) }
            pending.subtract(1, ordering: .releasing)
        }
    }

    /// Sleeps until `generation` differs from `seen` and returns its new value. The store of a
    /// new generation and the load of `sleepers` (submitter), and the add to `sleepers` and the
    /// load of `generation` (here), are sequentially consistent, so either the submitter sees
    /// this sleeper and broadcasts under the lock, or this thread sees the new generation.
    private func sleep(until seen: Int) -> Int {
        wakeup.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        var current = generation.load(ordering: .sequentiallyConsistent)
        while current == seen {
            wakeup.wait()
            current = generation.load(ordering: .sequentiallyConsistent)
        }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wakeup.unlock()
        return current
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
