/// SIMD8 transcendental approximations for the elementwise kernels.
///
/// glibc's scalar `expf`/`tanhf` run at 29–190 Melem/s; these run at GB/s.
/// Masks use `replace(with:where:)`: `SIMD.clamped`, `pointwiseMin` and `pointwiseMax`
/// are not inlined and are 2–2.5× slower (swift-feasibility.md, trap 9).
public typealias Vec8 = SIMD8<Float>

@usableFromInline let expMagicRound: Float = 12_582_912  // 1.5·2²³: x + magic rounds x to an integer
@usableFromInline let expMagicBits: Int32 = 0x4B40_0000  // bit pattern of the magic number

/// e^x, Cephes-style: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial,
/// 2ⁿ assembled in the exponent bits. Max relative error about 2e-7 on [-87, 88].
/// Inputs above 88 are clamped (result 1.65e38); inputs below −87.3 give exactly 0, so
/// −∞ logits (masked or top-k-filtered) get probability 0; NaN propagates.
// The transcendental kernels are `@_transparent`, not `@inline(__always)`: the optimizer kept
// the latter as calls (SIMD8 split into two xmm halves at the boundary), which cost a third of
// the attention softmax's time.
@_transparent
public func vexp(_ input: Vec8) -> Vec8 {
    var x = input
    x.replace(with: -87.3, where: x .< -87.3)
    x.replace(with: 88.0, where: x .> 88.0)
    // Fused multiply-adds throughout (`addingProduct` is one vfmadd with -target-cpu haswell;
    // Swift never contracts `a * b + c` by itself).
    let shifted = Vec8(repeating: expMagicRound).addingProduct(x, 1.442_695_04)  // n = round(x / ln2) in the low bits
    let n = shifted - expMagicRound
    var r = x.addingProduct(n, -0.693_359_375)
    r = r.addingProduct(n, 2.121_944_4e-4)
    var p = Vec8(repeating: 1.398_199_950_7e-3).addingProduct(Vec8(repeating: 1.987_569_15e-4), r)
    p = Vec8(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
    p = Vec8(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
    p = Vec8(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
    p = Vec8(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
    p = (r + 1).addingProduct(p, r * r)
    let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- expMagicBits
    let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: Vec8.self)
    var result = p * scale
    result.replace(with: 0, where: input .< -87.3)
    return result
}

/// σ(x) = 1 / (1 + e^{−x}).
@_transparent
public func vsigmoid(_ x: Vec8) -> Vec8 {
    1 / (1 + vexp(-x))
}

/// tanh(x) = 2σ(2x) − 1 (absolute error ~1e-7; relative error grows near 0).
@_transparent
public func vtanh(_ x: Vec8) -> Vec8 {
    2 / (1 + vexp(-2 * x)) - 1
}

// Loads and stores. Kernels run a full-width loop with `load8`/`store8` and then one
// partial step for the last `count % 8` elements. Keep the two apart: a lane-count branch
// inside the main loop stops LLVM from keeping the body in vector registers (measured
// 1.7 GB/s instead of 6–7 GB/s for GELU).

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

/// Loads `count` < 8 floats; the other lanes are zero.
@inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, _ count: Int) -> Vec8 {
    var v = Vec8()
    for lane in 0..<count { v[lane] = p[lane] }
    return v
}

/// Stores the first `count` < 8 lanes.
@inline(__always)
func storePartial(_ v: Vec8, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for lane in 0..<count { p[lane] = v[lane] }
}

/// Lanes ≥ `count` set to zero (for reductions over a partial step).
@inline(__always)
func zeroingLanes(_ v: Vec8, from count: Int) -> Vec8 {
    var out = v
    for lane in count..<8 { out[lane] = 0 }
    return out
}
