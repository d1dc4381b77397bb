/// A trainable tensor and its gradient buffer, which outlives any one tape.
///
/// `backward()` accumulates (+=) into `grad`, so gradient accumulation over micro-batches
/// and weights used twice (the tied embedding / lm_head) need no special case;
/// call `zeroGrad()` before each accumulation window.
public final class Parameter {
    public let name: String
    public let value: Tensor
    /// Same shape as `value`; allocated (as zeros) on first use, so a model that is only
    /// run for inference holds its weights once, not twice.
    public private(set) lazy var grad: Tensor = Tensor(zeros: value.shape)

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }

    public var shape: [Int] { value.shape }

    public func zeroGrad() { grad.zero() }
}
