import Foundation

/// Which KV head each query head reads in grouped-query attention (H query heads, G KV heads,
/// r = H/G). Both orders occur in Mu (seed-spec §1.3, §1.4.3); a wrong choice still runs
/// but produces garbage.
public enum KVHeadMapping: Sendable, Hashable {
    /// Mu-text (`is_interleaved = False`): r copies of [k₀…k_{G−1}] concatenated, so query
    /// head h uses KV head h mod G (H=6, G=3: heads 0,3→0; 1,4→1; 2,5→2).
    case concatenatedCopies
    /// Mu-v2 (`repeat_interleave`): each KV head repeated r times in a row, so query head h
    /// uses KV head ⌊h/r⌋.
    case repeatInterleaved

    @inline(__always)
    public func kvHead(forQueryHead h: Int, queryHeads: Int, kvHeads: Int) -> Int {
        switch self {
        case .concatenatedCopies: return h % kvHeads
        case .repeatInterleaved: return h / (queryHeads / kvHeads)
        }
    }
}

/// Static shape and semantics of one attention call.
public struct AttentionConfig: Sendable, Hashable {
    public var queryHeads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var mapping: KVHeadMapping
    /// Query i may attend only keys j ≤ i + (Lk − Lq): the queries are the last Lq positions
    /// of the key sequence (Lq = Lk for training; Lq < Lk when decoding with a KV cache).
    public var causal: Bool
    /// Dropout on the attention probabilities (training only).
    public var dropout: Float
    /// Sliding window (HF's `sliding_window`, causal only): the query at key position
    /// p = i + Lk − Lq also needs j > p − window, so it sees at most `window` keys, itself
    /// included. nil: every earlier key.
    public private(set) var window: Int?

    public init(queryHeads: Int, kvHeads: Int, headDim: Int, mapping: KVHeadMapping,
                causal: Bool, dropout: Float = 0, window: Int? = nil) {
        precondition(queryHeads > 0 && kvHeads > 0 && queryHeads % kvHeads == 0,
                     "query heads \(queryHeads) must be a multiple of KV heads \(kvHeads)")
        precondition(window.map { $0 > 0 && causal } ?? true, "a sliding window must be positive and causal")
        self.queryHeads = queryHeads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.mapping = mapping
        self.causal = causal
        self.dropout = dropout
        self.window = window
    }

    /// How many positions before its own a query may look back past: keys j with
    /// j ≥ p − lookback are visible. Int.max/2 (no limit) without a window.
    var lookback: Int { window.map { $0 - 1 } ?? Int.max / 2 }

    public var scale: Float { 1 / Float(headDim).squareRoot() }
}

/// Scaled dot-product attention over row-major activations, one (batch, head) block at a time
/// through BLAS with strided leading dimensions (no head reshapes or copies).
///
/// Shapes: q [B·Lq, H·hd], k and v [B·Lk, G·hd], out [B·Lq, H·hd],
/// probs [B, H, Lq, Lk], keyMask [B·Lk] (1 = real key, 0 = padding).
///
/// Semantics (Mu): S = Q Kᵀ; masked keys (padding, j > i + Lk − Lq when causal, or outside a
/// sliding window) get a huge negative; S / √hd; softmax over j; dropout; O = P V. Masked
/// entries get probability exactly 0. A row with no allowed key gets the uniform distribution over all keys, as
/// Mu-text's finite `finfo.min` fill gives (Mu-v2's −∞ would give NaN), and no gradient
/// to Q or K, as `masked_fill` blocks it.
public enum Attention {
    /// The keys query i may see before padding: i + causalOffset − lookback ≤ j ≤
    /// i + causalOffset within 0..<Lk, with causalOffset = Lk − Lq when causal and Lk
    /// (everything visible) otherwise. The one place the causal and window rules live.
    @inline(__always)
    static func visibleKeys(row i: Int, keyLength lk: Int, causalOffset: Int, lookback: Int) -> Range<Int> {
        let lo = max(0, i + causalOffset - lookback), hi = min(lk, i + causalOffset + 1)
        return lo..<max(lo, hi)
    }

    /// Whether some key of `keys` is not padding (`keyMask` of this sequence, 0 = padding).
    @inline(__always)
    static func anyReal(_ keyMask: UnsafePointer<UInt8>?, in keys: Range<Int>) -> Bool {
        guard let keyMask else { return !keys.isEmpty }
        return keys.contains { keyMask[$0] != 0 }
    }

    /// `dropoutMask` ([B, H, Lq, Lk], values 0 or 1/(1−p)) is applied when non-nil.
    /// `scratch` holds at least Lq·Lk floats.
    public static func forward(
        out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        keyMask: UnsafePointer<UInt8>?, dropoutMask: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
        batch: Int, queryLength lq: Int, keyLength lk: Int, config: AttentionConfig
    ) {
        let H = config.queryHeads, G = config.kvHeads, hd = config.headDim
        let qWidth = H * hd, kWidth = G * hd
        let causalOffset = config.causal ? lk - lq : lk
        // Batch items are independent: split in chunks over the workers (scratch per chunk),
        // single-threaded BLAS inside.
        let extra = Parallel.maxWorkers > 1 && batch > 1 ? Tensor(uninitialized: [Parallel.maxWorkers - 1, max(lq * lk, 1)]) : nil
        Parallel.forEach(batch) { chunk, b in
            let scratch = chunk == 0 ? scratch : extra!.data + (chunk - 1) * max(lq * lk, 1)
            for h in 0..<H {
                let g = config.mapping.kvHead(forQueryHead: h, queryHeads: H, kvHeads: G)
                let qp = q + b * lq * qWidth + h * hd
                let kp = k + b * lk * kWidth + g * hd
                let vp = v + b * lk * kWidth + g * hd
                let block = (b * H + h) * lq * lk
                let pp = probs + block
                // S [Lq, Lk] = (Q_h / √hd) · K_gᵀ
                Matmul.gemm(pp, qp, kp, m: lq, n: lk, k: hd, transB: true, alpha: config.scale,
                            lda: qWidth, ldb: kWidth, ldc: lk)
                // Masked scores become −maxFloat: next to any allowed (finite) score, x − max
                // is far below −87.3 and `vexp` returns exactly 0. If every key is masked, all
                // scores are equal and the row comes out uniform.
                for i in 0..<lq {
                    let row = pp + i * lk
                    let seen = visibleKeys(row: i, keyLength: lk, causalOffset: causalOffset, lookback: config.lookback)
                    for j in 0..<seen.lowerBound { row[j] = -.greatestFiniteMagnitude }
                    for j in seen.upperBound..<lk { row[j] = -.greatestFiniteMagnitude }
                    if let keyMask {
                        for j in seen where keyMask[b * lk + j] == 0 { row[j] = -.greatestFiniteMagnitude }
                    }
                }
                Softmax.forward(pp, pp, rows: lq, cols: lk)
                var used = UnsafePointer(pp)
                if let dropoutMask {
                    Elementwise.mul(scratch, pp, dropoutMask + block, count: lq * lk)
                    used = UnsafePointer(scratch)
                }
                // O_h [Lq, hd] = P [Lq, Lk] · V_g [Lk, hd]
                Matmul.gemm(out + b * lq * qWidth + h * hd, used, vp, m: lq, n: hd, k: lk,
                            lda: lk, ldb: kWidth, ldc: qWidth)
            }
        }
    }

    /// Accumulates (+=) into dq, dk, dv (any may be nil). `scratch` holds at least 2·Lq·Lk floats.
    ///   dP̃ = dO Vᵀ, dV += P̃ᵀ dO, dP = dP̃ ⊙ mask, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
    ///   dQ += dS K / √hd, dK += dSᵀ Q / √hd      (P̃ = P ⊙ dropout mask)
    public static func backward(
        dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?,
        dout: UnsafePointer<Float>, probs: UnsafePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        keyMask: UnsafePointer<UInt8>?, dropoutMask: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
        batch: Int, queryLength lq: Int, keyLength lk: Int, config: AttentionConfig
    ) {
        let H = config.queryHeads, G = config.kvHeads, hd = config.headDim
        let qWidth = H * hd, kWidth = G * hd
        let causalOffset = config.causal ? lk - lq : lk
        // Batch items split in chunks over the workers: dk/dv rows of item b are written by its
        // chunk only (the query heads sharing a KV head run in sequence inside it).
        let extra = Parallel.maxWorkers > 1 && batch > 1
            ? Tensor(uninitialized: [Parallel.maxWorkers - 1, 2 * max(lq * lk, 1)]) : nil
        Parallel.forEach(batch) { chunk, b in
            let ds = chunk == 0 ? scratch : extra!.data + (chunk - 1) * 2 * max(lq * lk, 1)
            let dropped = ds + lq * lk
            for h in 0..<H {
                let g = config.mapping.kvHead(forQueryHead: h, queryHeads: H, kvHeads: G)
                let qp = q + b * lq * qWidth + h * hd
                let kp = k + b * lk * kWidth + g * hd
                let vp = v + b * lk * kWidth + g * hd
                let dop = dout + b * lq * qWidth + h * hd
                let block = (b * H + h) * lq * lk
                let pp = probs + block
                // dP̃ [Lq, Lk] = dO_h [Lq, hd] · V_gᵀ
                Matmul.gemm(ds, dop, vp, m: lq, n: lk, k: hd, transB: true, lda: qWidth, ldb: kWidth, ldc: lk)
                if let dv {
                    var used = pp
                    if let dropoutMask {
                        Elementwise.mul(dropped, pp, dropoutMask + block, count: lq * lk)
                        used = UnsafePointer(dropped)
                    }
                    // dV_g [Lk, hd] += P̃ᵀ [Lk, Lq] · dO_h [Lq, hd]
                    Matmul.gemm(dv + b * lk * kWidth + g * hd, used, dop, m: lk, n: hd, k: lq,
                                transA: true, beta: 1, lda: lk, ldb: qWidth, ldc: kWidth)
                }
                if dq == nil && dk == nil { continue }
                if let dropoutMask { Elementwise.mul(ds, ds, dropoutMask + block, count: lq * lk) }
                for i in 0..<lq {
                    let pr = pp + i * lk, dr = ds + i * lk
                    let seen = visibleKeys(row: i, keyLength: lk, causalOffset: causalOffset, lookback: config.lookback)
                    if !anyReal(keyMask.map { $0 + b * lk }, in: seen) {
                        dr.update(repeating: 0, count: lk)
                        continue
                    }
                    var dot: Float = 0
                    for j in 0..<lk { dot += pr[j] * dr[j] }
                    for j in 0..<lk { dr[j] = pr[j] * (dr[j] - dot) }
                }
                if let dq {
                    // dQ_h [Lq, hd] += dS [Lq, Lk] · K_g [Lk, hd] / √hd
                    Matmul.gemm(dq + b * lq * qWidth + h * hd, ds, kp, m: lq, n: hd, k: lk,
                                alpha: config.scale, beta: 1, lda: lk, ldb: kWidth, ldc: qWidth)
                }
                if let dk {
                    // dK_g [Lk, hd] += dSᵀ [Lk, Lq] · Q_h [Lq, hd] / √hd
                    Matmul.gemm(dk + b * lk * kWidth + g * hd, ds, qp, m: lk, n: hd, k: lq,
                                transA: true, alpha: config.scale, beta: 1, lda: lk, ldb: qWidth, ldc: kWidth)
                }
            }
        }
    }

    /// Reference twin with the same semantics, plain loops. keyMask [B·Lk] (true = real key),
    /// dropoutMask [B, H, Lq, Lk].
    public static func forwardReference<T: ReferenceScalar>(
        q: [T], k: [T], v: [T], batch: Int, config: AttentionConfig,
        keyMask: [Bool]? = nil, dropoutMask: [Float]? = nil
    ) -> [T] {
        let H = config.queryHeads, G = config.kvHeads, hd = config.headDim
        let qWidth = H * hd, kWidth = G * hd
        let lq = q.count / qWidth / batch, lk = k.count / kWidth / batch
        let scale = 1 / T(hd).squareRoot()
        var out = [T](repeating: 0, count: q.count)
        for b in 0..<batch {
            for h in 0..<H {
                let g = config.mapping.kvHead(forQueryHead: h, queryHeads: H, kvHeads: G)
                for i in 0..<lq {
                    var scores = [T](repeating: 0, count: lk)
                    var ok = [Bool](repeating: true, count: lk)
                    for j in 0..<lk {
                        let p = i + lk - lq
                        let inWindow = !config.causal || (j <= p && j >= p - config.lookback)
                        ok[j] = inWindow && (keyMask?[b * lk + j] ?? true)
                        var s: T = 0
                        for d in 0..<hd { s += q[(b * lq + i) * qWidth + h * hd + d] * k[(b * lk + j) * kWidth + g * hd + d] }
                        scores[j] = s * scale
                    }
                    let anyAllowed = ok.contains(true)
                    let live = (0..<lk).filter { !anyAllowed || ok[$0] }
                    let m = live.map { scores[$0] }.max() ?? 0
                    var p = [T](repeating: 0, count: lk)
                    var sum: T = 0
                    for j in live {
                        p[j] = anyAllowed ? (scores[j] - m).exponential : 1
                        sum += p[j]
                    }
                    for j in 0..<lk {
                        p[j] /= sum
                        if let dropoutMask { p[j] *= T(dropoutMask[((b * H + h) * lq + i) * lk + j]) }
                    }
                    for d in 0..<hd {
                        var acc: T = 0
                        for j in 0..<lk { acc += p[j] * v[(b * lk + j) * kWidth + g * hd + d] }
                        out[(b * lq + i) * qWidth + h * hd + d] = acc
                    }
                }
            }
        }
        return out
    }
}

// MARK: - Inference (no probabilities kept)

extension Attention {
    /// Query rows processed per block in `inference`: scores for a block are
    /// `queryBlock × Lk` floats (512 KiB at Lk = 1024), so they stay in cache, and no
    /// [H, Lq, Lk] probability tensor is materialised.
    public static let queryBlock = 128

    /// Forward attention for one sequence without saving anything for a backward:
    /// q [Lq, H·hd] at rows of stride `qStride`; k, v [Lk, G·hd] at row stride `kvStride`
    /// (a KV cache); out [Lq, H·hd]. Same semantics as `forward` (mask, scale, softmax,
    /// uniform rows when nothing is allowed). With `causal`, query i sees keys
    /// j ≤ i + Lk − Lq (and within the sliding window, if any), and each block multiplies
    /// only the keys it can see.
    /// `scratch` holds at least `queryBlock · Lk` floats.
    public static func inference(
        out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        keyMask: UnsafePointer<UInt8>?, scratch: UnsafeMutablePointer<Float>,
        queryLength lq: Int, keyLength lk: Int, kvStride: Int, config: AttentionConfig
    ) {
        precondition(!config.causal || lq <= lk, "causal attention with \(lq) queries over \(lk) keys: queries are the last keys")
        let H = config.queryHeads
        let blocks = (lq + queryBlock - 1) / queryBlock
        let tasks = H * blocks
        // (head, query block) tasks are independent. Spread them over the Swift workers (BLAS
        // single-threaded) when there is enough work; a decode step (Lq = 1) stays sequential.
        if tasks > 1 && lq * lk * H >= 1 << 16 && Parallel.workers > 1 {
            let perChunk = queryBlock * max(lk, 1)
            let extra = Tensor(uninitialized: [Parallel.maxWorkers - 1, perChunk])
            Parallel.forEach(tasks) { chunk, task in
                let s = chunk == 0 ? scratch : extra.data + (chunk - 1) * perChunk
                inferenceBlock(out: out, q: q, k: k, v: v, keyMask: keyMask, scratch: s, head: task % H,
                               block: balancedBlock(task / H, of: blocks), queryLength: lq, keyLength: lk,
                               kvStride: kvStride, config: config)
            }
        } else {
            for task in 0..<tasks {
                inferenceBlock(out: out, q: q, k: k, v: v, keyMask: keyMask, scratch: scratch, head: task % H,
                               block: task / H, queryLength: lq, keyLength: lk, kvStride: kvStride, config: config)
            }
        }
    }

    /// The query block at place `p` of the order 0, n−1, 1, n−2, …: chunks are contiguous
    /// runs of places, and with causal attention (block i sees about i + 1 blocks of keys)
    /// each run pairs cheap early blocks with expensive late ones.
    static func balancedBlock(_ p: Int, of n: Int) -> Int {
        p % 2 == 0 ? p / 2 : n - 1 - p / 2
    }

    /// One head × one block of query rows.
    static func inferenceBlock(
        out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        keyMask: UnsafePointer<UInt8>?, scratch: UnsafeMutablePointer<Float>, head h: Int, block: Int,
        queryLength lq: Int, keyLength lk: Int, kvStride: Int, config: AttentionConfig
    ) {
        let H = config.queryHeads, G = config.kvHeads, hd = config.headDim
        let qWidth = H * hd
        let causalOffset = config.causal ? lk - lq : lk
        let i0 = block * queryBlock
        let rows = min(queryBlock, lq - i0)
        func seen(_ r: Int) -> Range<Int> {
            visibleKeys(row: i0 + r, keyLength: lk, causalOffset: causalOffset, lookback: config.lookback)
        }
        // Keys [first, end) that some row of this block may see: from the first row's window
        // start to the last row's end (windows only move forward with the row).
        let first = seen(0).lowerBound, end = seen(rows - 1).upperBound
        let visible = end - first
        let g = config.mapping.kvHead(forQueryHead: h, queryHeads: H, kvHeads: G)
        let qp = q + i0 * qWidth + h * hd
        let kp = k + first * kvStride + g * hd, vp = v + first * kvStride + g * hd
        // S [rows, visible] = Q_blk / √hd · K[first..<end]ᵀ
        Matmul.gemm(scratch, qp, kp, m: rows, n: visible, k: hd, transB: true, alpha: config.scale,
                    lda: qWidth, ldb: kvStride, ldc: visible)
        for r in 0..<rows {
            let row = scratch + r * visible
            // Row r sees keys [lo, hi): columns [lo − first, hi − first) of S.
            let (lo, hi) = (seen(r).lowerBound, seen(r).upperBound)
            var any = hi > lo
            for j in 0..<(lo - first) { row[j] = -.greatestFiniteMagnitude }
            if let keyMask {
                any = false
                for j in lo..<hi { if keyMask[j] == 0 { row[j - first] = -.greatestFiniteMagnitude } else { any = true } }
            }
            for j in (hi - first)..<visible { row[j] = -.greatestFiniteMagnitude }
            // Nothing allowed: equal scores, so the softmax is uniform (fixed below if this
            // block does not span all Lk keys).
            if !any { row.update(repeating: 0, count: visible) }
        }
        // O_blk [rows, hd] = softmax(S) · V, dividing O's hd columns instead of P's `visible`.
        let ob = out + i0 * qWidth + h * hd
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows) { sums in
            guard let sums = sums.baseAddress else { return }
            Softmax.exponentiate(scratch, rows: rows, cols: visible, sums: sums)
            Matmul.gemm(ob, scratch, vp, m: rows, n: hd, k: visible, lda: visible, ldb: kvStride, ldc: qWidth)
            for r in 0..<rows { Elementwise.scale(ob + r * qWidth, ob + r * qWidth, by: 1 / sums[r], count: hd) }
        }
        if visible < lk {
            for r in 0..<rows where !anyReal(keyMask, in: seen(r)) {
                uniformOverAll(out: out + (i0 + r) * qWidth + h * hd, v: v + g * hd, keyLength: lk, kvStride: kvStride, hd: hd)
            }
        }
    }

    /// out [hd] = mean over all keys of V.
    private static func uniformOverAll(out: UnsafeMutablePointer<Float>, v: UnsafePointer<Float>, keyLength lk: Int,
                                       kvStride: Int, hd: Int) {
        for d in 0..<hd {
            var s: Float = 0
            for j in 0..<lk { s += v[j * kvStride + d] }
            out[d] = s / Float(lk)
        }
    }
}
