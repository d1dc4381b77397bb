import SLMCore

/// A handle to a value recorded on a `Tape` (an index into its node list).
public struct Variable: Hashable, Sendable {
    public let index: Int
}

/// Reverse-mode autograd over coarse ops, in the manner of llm.c: every op computes its
/// forward with the fast kernels, stores what its backward needs, and records one
/// hand-written backward closure. `backward(from:)` walks the nodes in reverse.
///
/// Gradients accumulate (+=). Intermediate gradient buffers are allocated on first use;
/// a parameter's gradient buffer is `Parameter.grad` itself.
public final class Tape {
    /// Called with the gradient of the node's output; accumulates into its inputs' gradients.
    public typealias Backward = (_ tape: Tape, _ outputGrad: Tensor) -> Void

    struct Node {
        let value: Tensor
        var grad: Tensor?
        let requiresGrad: Bool
        var backward: Backward?
    }

    private(set) var nodes: [Node] = []
    /// Intermediate gradients are not reset, so a second backward would double-count them.
    private var hasRunBackward = false
    private var parameterNodes: [ObjectIdentifier: Int] = [:]
    private var parameterRefs: [Parameter] = []

    /// Enables dropout.
    public var isTraining: Bool
    /// Keep every intermediate gradient after `backward` (for inspection); by default each is
    /// freed once its node's backward has consumed it. Parameter gradients are always kept.
    public var retainsGradients = false
    /// Source of every dropout mask recorded on this tape (save it to resume exactly).
    public var rng: SeededRNG

    public init(training: Bool = false, rng: SeededRNG = SeededRNG(seed: 0)) {
        self.isTraining = training
        self.rng = rng
    }

    public var nodeCount: Int { nodes.count }

    /// A value that needs no gradient (inputs, masks, frozen teacher outputs).
    public func constant(_ value: Tensor) -> Variable {
        nodes.append(Node(value: value, grad: nil, requiresGrad: false, backward: nil))
        return Variable(index: nodes.count - 1)
    }

    /// A trainable leaf; using the same parameter twice returns the same variable.
    public func parameter(_ p: Parameter) -> Variable {
        let key = ObjectIdentifier(p)
        if let index = parameterNodes[key] { return Variable(index: index) }
        nodes.append(Node(value: p.value, grad: p.grad, requiresGrad: true, backward: nil))
        parameterNodes[key] = nodes.count - 1
        parameterRefs.append(p)  // keeps ObjectIdentifier keys valid for the tape's lifetime
        return Variable(index: nodes.count - 1)
    }

    public func value(_ v: Variable) -> Tensor { nodes[v.index].value }

    /// The accumulated gradient, or nil when nothing flowed into `v` (or, for an intermediate
    /// value after `backward`, when `retainsGradients` is off).
    public func grad(_ v: Variable) -> Tensor? { nodes[v.index].grad }

    public func requiresGrad(_ v: Variable) -> Bool { nodes[v.index].requiresGrad }

    /// Records an op output. The backward is kept only if some input requires a gradient.
    public func record(_ value: Tensor, inputs: [Variable], backward: @escaping Backward) -> Variable {
        let needs = inputs.contains { nodes[$0.index].requiresGrad }
        nodes.append(Node(value: value, grad: nil, requiresGrad: needs, backward: needs ? backward : nil))
        return Variable(index: nodes.count - 1)
    }

    /// The gradient buffer to accumulate into, allocated as zeros on first use;
    /// nil when `v` requires no gradient (ops then skip that input's work).
    public func gradBuffer(_ v: Variable) -> Tensor? {
        guard nodes[v.index].requiresGrad else { return nil }
        if let g = nodes[v.index].grad { return g }
        let g = Tensor(zeros: nodes[v.index].value.shape)
        nodes[v.index].grad = g
        return g
    }

    /// Backpropagates from a scalar (one-element) loss, seeding d loss = 1.
    public func backward(from loss: Variable) {
        precondition(value(loss).count == 1, "backward(from:) needs a scalar, got shape \(value(loss).shape)")
        backward(from: loss, seed: Tensor(shape: value(loss).shape, repeating: 1))
    }

    /// Backpropagates an arbitrary upstream gradient `seed` (same shape as `output`).
    public func backward(from output: Variable, seed: Tensor) {
        precondition(seed.count == value(output).count, "seed shape \(seed.shape) ≠ \(value(output).shape)")
        precondition(!hasRunBackward, "backward already ran on this tape; record a new tape per step")
        hasRunBackward = true
        guard let g = gradBuffer(output) else { return }
        Elementwise.axpy(g.data, alpha: 1, seed.data, count: g.count)
        for index in stride(from: output.index, through: 0, by: -1) {
            guard let fn = nodes[index].backward, let grad = nodes[index].grad else { continue }
            fn(self, grad)
            // Consumed: free the gradient and what the closure kept (probabilities, masks),
            // as PyTorch frees its saved tensors, so memory shrinks as the walk proceeds.
            if !retainsGradients {
                nodes[index].grad = nil
                nodes[index].backward = nil
            }
        }
    }
}
