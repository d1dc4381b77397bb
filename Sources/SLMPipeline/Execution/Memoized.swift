import Foundation

/// Computes a value once, on first use, from any thread.
public final class Memoized<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?
    private let make: @Sendable () -> Value

    public init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    public func get() -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value { return value }
        let made = make()
        value = made
        return made
    }

    /// The value if it was computed.
    public var computed: Value? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
