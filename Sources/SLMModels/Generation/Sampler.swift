import SLMTensor

/// Token choice from one row of logits.
public enum Sampler {
    /// transformers' `RepetitionPenaltyLogitsProcessor`: each of `ids` once, its logit
    /// divided by `penalty` when positive and multiplied by it otherwise. Ids must be in range.
    public static func penalize(_ logits: UnsafeMutablePointer<Float>, ids: Set<Int32>, penalty: Float) {
        for id in ids {
            let score = logits[Int(id)]
            logits[Int(id)] = score < 0 ? score * penalty : score / penalty
        }
    }

    public static func pick(_ logits: UnsafePointer<Float>, count: Int, options: GenerationOptions,
                            rng: inout SeededRNG) -> Int32 {
        if options.temperature == 0 { return Int32(argmax(logits, count: count)) }
        let w = weights(logits, count: count, options: options)
        var u = rng.nextUnitDouble() * w.reduce(0, +)
        for i in 0..<count where w[i] > 0 {
            u -= w[i]
            if u < 0 { return Int32(i) }
        }
        return Int32(argmax(logits, count: count))
    }

    /// Unnormalised sampling probabilities, in the order of transformers' logits warpers:
    /// softmax(logits / T); only the top k (ties at the k-th value kept, as PyTorch); then
    /// top-p as `TopPLogitsWarper`: sorted from the least likely up, tokens whose cumulative
    /// probability is ≤ 1 − p are dropped, the most likely one always kept. Temperature > 0.
    public static func weights(_ logits: UnsafePointer<Float>, count: Int, options: GenerationOptions) -> [Double] {
        var threshold = -Float.infinity
        if let k = options.topK, k < count { threshold = kthLargest(logits, count: count, k: k) }
        let t = Double(options.temperature)
        var maxLogit = -Double.infinity
        for i in 0..<count where logits[i] >= threshold { maxLogit = max(maxLogit, Double(logits[i])) }
        var weights = [Double](repeating: 0, count: count)
        var total = 0.0
        for i in 0..<count where logits[i] >= threshold {
            weights[i] = ((Double(logits[i]) - maxLogit) / t).exponential
            total += weights[i]
        }
        if let p = options.topP, p < 1 { keepNucleus(&weights, total: total, p: p) }
        return weights
    }

    /// `TopPLogitsWarper` on unnormalised weights summing to `total`: from the least likely
    /// up, tokens whose cumulative probability is ≤ 1 − p are dropped, the most likely one
    /// always kept. Equivalently, from the most likely down, a token is kept while the mass
    /// before it is below p · total — so only the head of the distribution needs ordering:
    /// the largest m by heap selection, m growing ×4 until their mass reaches p · total
    /// (a 49,152-id vocabulary: a few hundred ids, not a sort of all of them).
    static func keepNucleus(_ weights: inout [Double], total: Double, p: Double) {
        let live = weights.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        let target = p * total
        var m = min(live, 64)
        while true {
            let head = largestIndices(weights, m)
            let mass = head.reduce(0.0) { $0 + weights[$1] }
            guard mass >= target || m == live else {
                m = min(live, m * 4)
                continue
            }
            var keep = [Bool](repeating: false, count: weights.count)
            var before = 0.0
            for (place, i) in head.enumerated() {
                guard place == 0 || before < target else { break }
                keep[i] = true
                before += weights[i]
            }
            for i in weights.indices where !keep[i] { weights[i] = 0 }
            return
        }
    }

    /// Indices of the m largest positive weights, largest first (a min-heap of m).
    static func largestIndices(_ weights: [Double], _ m: Int) -> [Int] {
        guard m > 0 else { return [] }
        var heap: [Int] = []
        heap.reserveCapacity(m)
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var smallest = i
                if left < heap.count && weights[heap[left]] < weights[heap[smallest]] { smallest = left }
                if right < heap.count && weights[heap[right]] < weights[heap[smallest]] { smallest = right }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        func siftUp(_ start: Int) {
            var i = start
            while i > 0 && weights[heap[i]] < weights[heap[(i - 1) / 2]] {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }
        for i in weights.indices where weights[i] > 0 {
            if heap.count < m {
                heap.append(i)
                siftUp(heap.count - 1)
            } else if weights[i] > weights[heap[0]] {
                heap[0] = i
                siftDown(0)
            }
        }
        return heap.sorted { weights[$0] > weights[$1] }
    }

    /// Reference twin of `keepNucleus`: the warper's loop over all tokens sorted ascending.
    static func keepNucleusReference(_ weights: inout [Double], total: Double, p: Double) {
        let ascending = (0..<weights.count).filter { weights[$0] > 0 }.sorted { weights[$0] < weights[$1] }
        var cumulative = 0.0
        for i in ascending.dropLast() {
            cumulative += weights[i] / total
            guard cumulative <= 1 - p else { break }
            weights[i] = 0
        }
    }

    /// The k-th largest of `count` values (ties counted, as `sorted(by: >)[k − 1]`), 1 ≤ k ≤
    /// count: a min-heap of the k largest so far, O(count · log k) — a 49,152-id vocabulary
    /// takes 0.04 ms against 3.8 ms to sort it, every sampled token.
    public static func kthLargest(_ x: UnsafePointer<Float>, count: Int, k: Int) -> Float {
        precondition(k >= 1 && k <= count, "k \(k) of \(count) values")
        var heap = Array(UnsafeBufferPointer(start: x, count: k))
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var smallest = i
                if left < k && heap[left] < heap[smallest] { smallest = left }
                if right < k && heap[right] < heap[smallest] { smallest = right }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for i in k..<count where x[i] > heap[0] {
            heap[0] = x[i]
            siftDown(0)
        }
        return heap[0]
    }

    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<max(count, 1) where x[i] > x[best] { best = i }
        return best
    }
}
