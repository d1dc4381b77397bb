import COpenBLAS

/// C = alpha · op(A) · op(B) + beta · C through OpenBLAS, all row-major.
///
/// op(A) is [M, K]: A is stored [M, K], or [K, M] when `transA`.
/// op(B) is [K, N]: B is stored [K, N], or [N, K] when `transB` (PyTorch's [out, in] weights).
/// Leading dimensions default to the contiguous ones and may be larger, which is how
/// attention addresses one head inside a [rows, heads·headDim] activation without copies.
public enum Matmul {
    /// Products of at least this many multiply-adds are split over the workers (about 15 µs
    /// on one core here, well above what handing a chunk to a helper costs).
    static let splitMultiplyAdds = 1 << 20
    /// A one-row product (sgemv) is memory-bound: split from this many weights.
    static let splitVectorWeights = 1 << 16

    /// OpenBLAS single-threaded, once, before the first product: the engine's own workers
    /// split products instead (`Parallel`, one threading layer).
    private static let singleThreadedBLAS: Void = openblas_set_num_threads(1)

    public static func gemm(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int,
        transA: Bool = false, transB: Bool = false,
        alpha: Float = 1, beta: Float = 0,
        lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative gemm size")
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let ldc = ldc ?? n
        if m == 0 || n == 0 { return }
        precondition(ldc >= n, "gemm ldc \(ldc) below n \(n)")
        if k == 0 {
            scaleRows(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        // OpenBLAS reports bad strides on stderr and leaves C unwritten; stop here instead.
        precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n),
                     "gemm leading dimensions lda \(lda), ldb \(ldb) below the rows they step over")
        _ = singleThreadedBLAS
        let workers = Parallel.insideLoop ? 1 : Parallel.workers
        let big = m == 1 ? n * k >= splitVectorWeights && n >= 64 : m * n * k >= splitMultiplyAdds
        guard workers > 1 && big else {
            return product(c, a, b, m: m, n: n, k: k, transA: transA, transB: transB, alpha: alpha, beta: beta,
                           lda: lda, ldb: ldb, ldc: ldc)
        }
        // Each chunk is a product of its own over a block of C's rows (or, for few rows, of its
        // columns), single-threaded. A row split gives exactly the unsplit result (tested); a
        // column split can differ in the last bits, as OpenBLAS's own threads did. Either way
        // the result depends only on the data and the number of workers.
        let byRows = m >= 32 * workers
        let extent = byRows ? m : n
        let units = (extent + 15) / 16
        WorkerPool.shared.run(workers) { w in
            let start = min(extent, units * w / workers * 16)
            let end = w == workers - 1 ? extent : min(extent, units * (w + 1) / workers * 16)
            guard start < end else { return }
            if byRows {
                product(c + start * ldc, transA ? a + start : a + start * lda, b, m: end - start, n: n, k: k,
                        transA: transA, transB: transB, alpha: alpha, beta: beta, lda: lda, ldb: ldb, ldc: ldc)
            } else {
                product(c + start, a, transB ? b + start * ldb : b + start, m: m, n: end - start, k: k,
                        transA: transA, transB: transB, alpha: alpha, beta: beta, lda: lda, ldb: ldb, ldc: ldc)
            }
        }
    }

    private static func product(
        _ c: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        m: Int, n: Int, k: Int, transA: Bool, transB: Bool, alpha: Float, beta: Float, lda: Int, ldb: Int, ldc: Int
    ) {
        if m == 1 {
            // One output row: sgemv is 4–7× faster than sgemm with M = 1.
            // y[N] = alpha · op(B)ᵀ-view · x + beta · y, x = the K entries of A's only row.
            if beta == 0 { c.update(repeating: 0, count: n) }  // BLAS may read y even when beta = 0
            let incx = transA ? lda : 1
            if transB {
                // B stored [N, K]: y = B · x.
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb),
                            a, Int32(incx), beta, c, 1)
            } else {
                // B stored [K, N]: y = Bᵀ · x.
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb),
                            a, Int32(incx), beta, c, 1)
            }
            return
        }
        // OpenBLAS's sgemm overwrites C when beta = 0 (NaN garbage included; tested).
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        for i in 0..<m {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: n) } else { for j in 0..<n { row[j] *= beta } }
        }
    }

    /// Reference twin: the triple loop on contiguous arrays (same transpose conventions).
    public static func gemmReference<T: ReferenceScalar>(
        _ a: [T], _ b: [T], c: [T]? = nil, m: Int, n: Int, k: Int,
        transA: Bool = false, transB: Bool = false, alpha: T = 1, beta: T = 0
    ) -> [T] {
        var out = [T](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: T = 0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    sum += av * bv
                }
                out[i * n + j] = alpha * sum + (c.map { beta * $0[i * n + j] } ?? 0)
            }
        }
        return out
    }
}
