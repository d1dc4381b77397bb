import Foundation

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
    public convenience init(zeros shape: [Int]) {
        self.init(uninitialized: shape)
        data.initialize(repeating: 0, count: max(count, 1))
    }

    /// A tensor whose contents are unspecified: for op outputs that the kernel overwrites
    /// entirely (saves a pass over memory in the hot path).
    public init(uninitialized shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        var n = 1
        for d in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            precondition(!overflow, "shape \(shape) overflows Int")
            n = p
        }
        self.shape = shape
        self.count = n
        self.data = BufferPool.shared.take(count: max(n, 1))
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
        BufferPool.shared.give(data, count: max(count, 1))
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

/// Keeps large freed tensor buffers for reuse. A training or decoding loop allocates the same
/// shapes every step; without this, every large buffer comes fresh from mmap and is paid again
/// in page faults and kernel zeroing (measured: ~8% of a training step in `clear_page`).
/// Buffers of at least `minimumBytes` are allocated at a size class (`sizeClass`) and kept per
/// class, up to `capacityBytes` in total; smaller ones go straight back to malloc. Classes,
/// not exact sizes: batches of varying lengths would otherwise each leave buffers of their
/// own sizes behind, and memory grew step after step.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    static let minimumBytes = 1 << 16
    static let capacityBytes = 4 << 30

    // Invariant: `free` and `keptBytes` are touched only under `lock`.
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var keptBytes = 0
    private let lock = NSLock()

    /// `count` rounded up to keep its 4 leading bits: 8 classes per power of two, at most
    /// 12.5% above the request.
    static func sizeClass(_ count: Int) -> Int {
        let bits = Int.bitWidth - count.leadingZeroBitCount
        guard bits > 4 else { return count }
        let step = 1 << (bits - 4)
        return (count + step - 1) / step * step
    }

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        var allocated = count
        if count * 4 >= Self.minimumBytes {
            allocated = Self.sizeClass(count)
            lock.lock()
            if let p = free[allocated]?.popLast() {
                keptBytes -= allocated * 4
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: allocated * MemoryLayout<Float>.stride, alignment: Tensor.alignment)
        return raw.bindMemory(to: Float.self, capacity: allocated)
    }

    /// `count` is what `take` was asked for (the buffer holds its size class).
    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if count * 4 >= Self.minimumBytes {
            let size = Self.sizeClass(count)
            lock.lock()
            if keptBytes + size * 4 <= Self.capacityBytes {
                free[size, default: []].append(p)
                keptBytes += size * 4
                lock.unlock()
                return
            }
            lock.unlock()
        }
        UnsafeMutableRawPointer(p).deallocate()
    }

    /// Returns every kept buffer to the system.
    func drain() {
        lock.lock()
        let all = free.values.flatMap { $0 }
        free = [:]
        keptBytes = 0
        lock.unlock()
        for p in all { UnsafeMutableRawPointer(p).deallocate() }
    }
}

extension Tensor {
    /// Frees the large buffers kept for reuse (after a run, before measuring memory).
    public static func releaseCachedBuffers() { BufferPool.shared.drain() }
}
