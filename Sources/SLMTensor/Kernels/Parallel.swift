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
        if chunks <= 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        let blasThreads = Matmul.threadCount
        Matmul.setThreadCount(1)
        defer { Matmul.setThreadCount(blasThreads) }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                let start = count * w / chunks, end = count * (w + 1) / chunks
                for i in start..<end { run(w, i) }
            }
        }
    }
}
