import SLMTensor

/// Binds parameters to one tape for one forward pass: trainable parameters become tape
/// leaves (their gradients accumulate into `Parameter.grad`); with `trainable: false` they
/// are constants and no backward is recorded (inference, frozen teachers).
public final class ForwardPass {
    public let tape: Tape
    public let trainable: Bool

    public init(tape: Tape, trainable: Bool) {
        self.tape = tape
        self.trainable = trainable
    }

    /// A forward pass without gradients (dropout off).
    public static func inference() -> ForwardPass { ForwardPass(tape: Tape(training: false), trainable: false) }

    public func callAsFunction(_ p: Parameter) -> Variable {
        trainable ? tape.parameter(p) : tape.constant(p.value)
    }
}

/// How a model's parameters are created: N(0, 0.02) for weights and embeddings, zeros for
/// biases, ones for norms (seed-spec §1.4.7; exact RNG parity with PyTorch is not a goal).
public struct ParameterFactory {
    public var rng: SeededRNG
    public var std: Float = 0.02
    public private(set) var created: [Parameter] = []

    /// Draw no random numbers: weights start at zero (models about to be loaded from disk).
    public var unfilled = false

    public init(seed: UInt64) { rng = SeededRNG(seed: seed) }

    public mutating func normal(_ name: String, _ shape: [Int]) -> Parameter {
        if unfilled { return record(Parameter(name: name, value: Tensor(zeros: shape))) }
        return record(Parameter(name: name, value: Tensor.randomNormal(shape: shape, std: std, rng: &rng)))
    }

    public mutating func zeros(_ name: String, _ shape: [Int]) -> Parameter {
        record(Parameter(name: name, value: Tensor(zeros: shape)))
    }

    public mutating func ones(_ name: String, _ shape: [Int]) -> Parameter {
        record(Parameter(name: name, value: Tensor(shape: shape, repeating: 1)))
    }

    private mutating func record(_ p: Parameter) -> Parameter {
        created.append(p)
        return p
    }
}

/// PyTorch `nn.Linear`: weight [out, in], optional bias [out]; y = x·Wᵀ + b.
public struct Linear {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ name: String, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool, _ f: inout ParameterFactory) {
        weight = f.normal(name + ".weight", [outFeatures, inFeatures])
        bias = hasBias ? f.zeros(name + ".bias", [outFeatures]) : nil
    }

    public init(weight: Parameter, bias: Parameter?) {
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ x: Variable, _ fp: ForwardPass) -> Variable {
        fp.tape.linear(x, weight: fp(weight), bias: bias.map { fp($0) })
    }
}

/// RMSNorm with a learned weight and no bias.
public struct RMSNormLayer {
    public let weight: Parameter
    public let eps: Float

    public init(_ name: String, width: Int, eps: Float, _ f: inout ParameterFactory) {
        weight = f.ones(name, [width])
        self.eps = eps
    }

    public func callAsFunction(_ x: Variable, _ fp: ForwardPass) -> Variable {
        fp.tape.rmsNorm(x, weight: fp(weight), eps: eps)
    }
}

/// Grouped-query attention with separate q/k/v/out projections (Mu's `MuAttention`; Llama's
/// `self_attn` with q/k/v/o names). Q width H·hd may differ from the residual width.
public struct AttentionLayer {
    public let q: Linear, k: Linear, v: Linear, out: Linear
    public let heads: Int, kvHeads: Int, headDim: Int
    public let mapping: KVHeadMapping
    /// Sliding window of the causal self-attention (Llama-family `sliding_window`), if any.
    public let window: Int?

    public init(q: Linear, k: Linear, v: Linear, out: Linear, heads: Int, kvHeads: Int, mapping: KVHeadMapping,
                window: Int? = nil) {
        self.q = q
        self.k = k
        self.v = v
        self.out = out
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = q.outFeatures / heads
        self.mapping = mapping
        self.window = window
    }

    public func config(causal: Bool, dropout: Float) -> AttentionConfig {
        AttentionConfig(queryHeads: heads, kvHeads: kvHeads, headDim: headDim, mapping: mapping,
                        causal: causal, dropout: dropout, window: causal ? window : nil)
    }

    /// query [B·Lq, d], keyValue [B·Lk, d] → [B·Lq, d]. RoPE (on Q and K) only when `rope` is given.
    public func callAsFunction(
        query: Variable, keyValue: Variable, batch: Int, causal: Bool, rope: RoPETables?,
        keyMask: [Bool]?, dropout: Float, _ fp: ForwardPass
    ) -> Variable {
        let t = fp.tape
        var qv = q(query, fp), kv = k(keyValue, fp)
        let vv = v(keyValue, fp)
        if let rope {
            qv = t.rope(qv, tables: rope, heads: heads)
            kv = t.rope(kv, tables: rope, heads: kvHeads)
        }
        let a = t.attention(query: qv, keys: kv, values: vv, batch: batch,
                            config: config(causal: causal, dropout: dropout), keyMask: keyMask)
        return out(a, fp)
    }
}

/// All parameters of a model, in a fixed order, under their checkpoint names.
public protocol ParameterContainer: AnyObject {
    /// Every distinct trainable tensor once (a tied matrix appears once), in a stable order.
    var parameters: [Parameter] { get }
}

extension ParameterContainer {
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
    public var parametersByName: [String: Parameter] {
        Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

/// Token-id validation before any op runs (the tape's ops only `precondition`).
public struct InvalidTokenError: Error, CustomStringConvertible, Sendable {
    public let id: Int32
    public let position: Int
    public let vocabSize: Int
    public let what: String
    public var description: String {
        "\(what): token id \(id) at position \(position) is outside the vocabulary 0..<\(vocabSize)"
    }
}

func validateTokens(_ ids: [Int32], vocabSize: Int, what: String) throws {
    for (i, id) in ids.enumerated() where id < 0 || Int(id) >= vocabSize {
        throw InvalidTokenError(id: id, position: i, vocabSize: vocabSize, what: what)
    }
}
