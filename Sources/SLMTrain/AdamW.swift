import Foundation
import SLMTensor

/// AdamW with PyTorch's exact update (`torch.optim.AdamW`, single-tensor path), per element:
///
///     θ ← θ · (1 − lr·λ)                         decoupled decay, only on tensors of rank ≥ 2
///     m ← m + (1 − β₁)(g − m)                    (torch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// Bias corrections are computed in Double, as Python floats are. Moments live in tensors
/// parallel to the parameters (zeros until the first step).
public final class AdamW {
    public struct Hyperparameters: Codable, Sendable, Hashable {
        public var beta1: Double = 0.9
        /// The seed trains with (0.9, 0.98) (seed-spec §4.2).
        public var beta2: Double = 0.98
        public var eps: Double = 1e-8
        public var weightDecay: Double = 0.01

        public init(beta1: Double = 0.9, beta2: Double = 0.98, eps: Double = 1e-8, weightDecay: Double = 0.01) {
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
        }
    }

    public let parameters: [Parameter]
    public var hyperparameters: Hyperparameters
    /// First and second moments, parallel to `parameters`.
    public let m: [Tensor]
    public let v: [Tensor]
    /// Updates taken so far (t of the bias correction).
    public internal(set) var stepCount = 0

    public init(parameters: [Parameter], hyperparameters: Hyperparameters = Hyperparameters()) {
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// Whether weight decay applies (PyTorch convention in the seed: rank ≥ 2 only).
    public static func decays(_ p: Parameter) -> Bool { p.shape.count >= 2 }

    /// One update with learning rate `lr` from the parameters' current gradients.
    public func step(lr: Double) {
        stepCount += 1
        let h = hyperparameters
        let t = Double(stepCount)
        let bias1 = 1 - pow(h.beta1, t)
        let bias2Sqrt = (1 - pow(h.beta2, t)).squareRoot()
        let stepSize = Float(lr / bias1)
        let b1 = Float(h.beta1), b2 = Float(h.beta2)
        let oneMinusB1 = Float(1 - h.beta1), oneMinusB2 = Float(1 - h.beta2)
        let eps = Float(h.eps), bias2SqrtF = Float(bias2Sqrt)
        for (i, p) in parameters.enumerated() {
            let decay = Self.decays(p) ? Float(1 - lr * h.weightDecay) : 1
            let constants = UpdateConstants(decay: decay, beta1: b1, oneMinusBeta1: oneMinusB1, beta2: b2,
                                            oneMinusBeta2: oneMinusB2, stepSize: stepSize, bias2Sqrt: bias2SqrtF, eps: eps)
            let theta = p.value.data, grad = p.grad.data, mBuffer = m[i].data, vBuffer = v[i].data
            Parallel.ranges(p.value.count) { r in
                Self.update(theta + r.lowerBound, grad: grad + r.lowerBound, m: mBuffer + r.lowerBound, v: vBuffer + r.lowerBound,
                            count: r.count, constants)
            }
        }
    }

    /// The per-step scalars of the update (see the type's comment).
    struct UpdateConstants {
        var decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, bias2Sqrt, eps: Float
    }

    /// The per-element update, eight lanes at a time. The same IEEE operations in the same
    /// order as `updateReference` (square root and division are correctly rounded in both,
    /// nothing is fused), so the result is identical bit for bit (tested).
    static func update(
        _ theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int, _ c: UpdateConstants
    ) {
        typealias Lanes = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self) }
        var i = 0
        while i + 8 <= count {
            let g = load(grad + i), mOld = load(m + i)
            var p = load(theta + i)
            if c.decay != 1 { p *= c.decay }
            let mi = mOld + c.oneMinusBeta1 * (g - mOld)
            let vi = c.beta2 * load(v + i) + c.oneMinusBeta2 * (g * g)
            store(mi, m + i)
            store(vi, v + i)
            let denom = vi.squareRoot() / c.bias2Sqrt + c.eps
            store(p - c.stepSize * (mi / denom), theta + i)
            i += 8
        }
        updateReference(theta + i, grad: grad + i, m: m + i, v: v + i, count: count - i, c)
    }

    /// Reference twin: the update one element at a time.
    static func updateReference(
        _ theta: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
        v: UnsafeMutablePointer<Float>, count: Int, _ c: UpdateConstants
    ) {
        for i in 0..<count {
            let g = grad[i]
            var p = theta[i]
            if c.decay != 1 { p *= c.decay }
            let mi = m[i] + c.oneMinusBeta1 * (g - m[i])
            let vi = c.beta2 * v[i] + c.oneMinusBeta2 * (g * g)
            m[i] = mi
            v[i] = vi
            let denom = vi.squareRoot() / c.bias2Sqrt + c.eps
            theta[i] = p - c.stepSize * (mi / denom)
        }
    }
}

/// Learning-rate multipliers per optimizer step s (0-based, the number of updates already
/// taken, as PyTorch's LambdaLR after s calls of `scheduler.step()`).
public enum LRSchedule: Codable, Sendable, Hashable {
    case constant
    /// The seed's schedule (seed-spec §4.2): λ(s) = s/W for s ≤ W (so the first update uses
    /// lr 0), then ½(1 + cos(π(s − W)/(S − W))) down to 0 at S; s is clamped to S.
    case warmupCosine(warmup: Int, total: Int)

    public func multiplier(step s: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case .warmupCosine(let w, let total):
            let s = min(s, total)
            if w > 0 && s <= w { return Double(s) / Double(w) }
            guard total > w else { return 1 }
            return 0.5 * (1 + cos(Double.pi * Double(s - w) / Double(total - w)))
        }
    }
}

/// Global L2 norm of all gradients, clipped in place to `maxNorm` (PyTorch's
/// `clip_grad_norm_`: scale by maxNorm / (norm + 1e-6) when that is below 1).
/// Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Double) -> Double {
    var sumSquares = 0.0
    for p in parameters {
        let g = p.grad.data
        var s: Float = 0
        for i in 0..<p.grad.count { s += g[i] * g[i] }
        sumSquares += Double(s)
    }
    let norm = sumSquares.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters { Elementwise.scale(p.grad.data, p.grad.data, by: Float(coefficient), count: p.grad.count) }
    }
    return norm
}
