/// A dense fp32 tensor: contiguous row-major storage owned by this object.
///
/// Reference semantics (a final class, like llm.c's `float*` buffers): kernels write into
/// `data` directly. There are no views; the shape is fixed at creation. Activations and
/// weights of a transformer are handled as 2-D `[rows, cols]` with `rows = batch · length`.
public final class Tensor {
    public let shape: [Int]
    /// Product of `shape` (1 for a scalar `[]`).
    public let count: Int
    /// 64-byte aligned; `max(count, 1)` elements are allocated and initialised.
    public let data: UnsafeMutablePointer<Float>

    public static let alignment = 64

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            precondition(!overflow, "shape \(shape) overflows Int")
            n = p
        }
        self.shape = shape
        self.count = n
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(n, 1) * MemoryLayout<Float>.stride, alignment: Tensor.alignment)
        self.data = raw.bindMemory(to: Float.self, capacity: max(n, 1))
        self.data.initialize(repeating: 0, count: max(n, 1))
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: count) }
        }
    }

    public convenience init(shape: [Int], repeating value: Float) {
        self.init(zeros: shape)
        data.update(repeating: value, count: count)
    }

    /// Independent N(mean, std²) entries drawn from `rng` (Box–Muller in Double).
    public static func randomNormal(
        shape: [Int], mean: Float = 0, std: Float, rng: inout SeededRNG
    ) -> Tensor {
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.data[i] = mean + std * Float(rng.nextNormal()) }
        return t
    }

    /// Independent U[low, high) entries drawn from `rng`.
    public static func randomUniform(
        shape: [Int], low: Float = 0, high: Float = 1, rng: inout SeededRNG
    ) -> Tensor {
        let t = Tensor(zeros: shape)
        let width = Double(high) - Double(low)
        for i in 0..<t.count { t.data[i] = Float(Double(low) + width * rng.nextUnitDouble()) }
        return t
    }

    deinit {
        UnsafeMutableRawPointer(data).deallocate()
    }

    /// Flat element access (row-major index).
    public subscript(index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            return data[index]
        }
        set {
            precondition(index >= 0 && index < count, "index \(index) out of range 0..<\(count)")
            data[index] = newValue
        }
    }

    /// The last dimension (1 for a scalar).
    public var columns: Int { shape.last ?? 1 }
    /// Product of all but the last dimension.
    public var rows: Int { columns == 0 ? 0 : count / columns }

    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// A copy with another shape of the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let t = Tensor(zeros: newShape)
        precondition(t.count == count, "cannot reshape \(shape) to \(newShape)")
        t.data.update(from: data, count: count)
        return t
    }

    public func fill(_ value: Float) { data.update(repeating: value, count: count) }
    public func zero() { fill(0) }
}
