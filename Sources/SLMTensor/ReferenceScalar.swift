import Foundation

/// The scalar type of the reference ("twin") kernels: plain loops written once,
/// instantiated with `Float` to test the fast kernels and with `Double` for gradient checks.
public protocol ReferenceScalar: BinaryFloatingPoint, Sendable {
    var exponential: Self { get }
    var logarithm: Self { get }
    var hyperbolicTangent: Self { get }
    var cosine: Self { get }
    var sine: Self { get }
    func power(_ exponent: Self) -> Self
}

extension Float: ReferenceScalar {
    public var exponential: Float { expf(self) }
    public var logarithm: Float { logf(self) }
    public var hyperbolicTangent: Float { tanhf(self) }
    public var cosine: Float { cosf(self) }
    public var sine: Float { sinf(self) }
    public func power(_ exponent: Float) -> Float { powf(self, exponent) }
}

extension Double: ReferenceScalar {
    public var exponential: Double { exp(self) }
    public var logarithm: Double { log(self) }
    public var hyperbolicTangent: Double { tanh(self) }
    public var cosine: Double { cos(self) }
    public var sine: Double { sin(self) }
    public func power(_ exponent: Double) -> Double { pow(self, exponent) }
}
