import SLMTensor

/// Deterministic random test data.
func randomArray(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var rng = SeededRNG(seed: seed)
    return (0..<count).map { _ in scale * Float(rng.nextNormal()) }
}

/// max_i |a_i − b_i| / max(max_i |b_i|, floor): a norm-wise relative error.
func relativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-6) -> Float {
    precondition(a.count == b.count)
    var diff: Float = 0
    var scale: Float = floor
    for (x, y) in zip(a, b) {
        diff = max(diff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return diff / scale
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Column counts exercising the SIMD8 body, the tail, and both together.
let oddColumnCounts = [1, 7, 8, 33, 1023]
