import SLMCore

/// Central-difference gradient checks of the tape's hand-written backwards.
///
/// The op is recorded on a tape in fp32 and backpropagated with a random upstream gradient
/// w, i.e. the analytic gradient of f(x) = Σ_i w_i · op(x)_i. The numeric gradient of the
/// same f is taken in Double through the op's *reference forward* (written generically,
/// instantiated with Double), so truncation and round-off stay far below fp32 precision and
/// a tight tolerance (~1e-3 normwise) separates correct backwards from wrong ones.
public enum GradCheck {
    public struct Report: CustomStringConvertible, Sendable {
        /// Per input: max_e |analytic − numeric| / max(max_e |numeric|, max_e |analytic|, 1e-8);
        /// nil for inputs not checked.
        public let relativeErrors: [Double?]

        public var maxRelativeError: Double { relativeErrors.compactMap { $0 }.max() ?? 0 }

        public var description: String {
            relativeErrors.enumerated().map { "input \($0.offset): \($0.element.map { "\($0)" } ?? "–")" }
                .joined(separator: ", ")
        }
    }

    /// - Parameters:
    ///   - inputs: op inputs; `differentiable[i] == false` makes input i a constant.
    ///   - tapeRNG: the tape's RNG state (dropout masks); the reference must reproduce them.
    ///   - build: records the op on the tape.
    ///   - reference: the same op in Double, inputs → flat outputs.
    public static func run(
        inputs: [Tensor], differentiable: [Bool]? = nil,
        training: Bool = false, tapeRNG: SeededRNG = SeededRNG(seed: 0),
        upstreamSeed: UInt64 = 99, step: Double = 1e-6,
        build: (Tape, [Variable]) -> Variable,
        reference: ([[Double]]) -> [Double]
    ) -> Report {
        let checked = differentiable ?? Array(repeating: true, count: inputs.count)
        precondition(checked.count == inputs.count, "one differentiable flag per input")

        // Analytic, fp32.
        let tape = Tape(training: training, rng: tapeRNG)
        let parameters = inputs.enumerated().map { Parameter(name: "input\($0.offset)", value: $0.element.copy()) }
        let variables = inputs.indices.map { i in
            checked[i] ? tape.parameter(parameters[i]) : tape.constant(parameters[i].value)
        }
        let output = build(tape, variables)
        var upstreamRNG = SeededRNG(seed: upstreamSeed)
        let outCount = tape.value(output).count
        let upstream = (0..<outCount).map { _ in upstreamRNG.nextNormal() }
        tape.backward(from: output, seed: Tensor(shape: tape.value(output).shape, values: upstream.map(Float.init)))

        // Numeric, Double.
        var xs = inputs.map { $0.array.map(Double.init) }
        func objective(_ xs: [[Double]]) -> Double {
            let y = reference(xs)
            precondition(y.count == outCount, "reference returned \(y.count) values, op \(outCount)")
            var s = 0.0
            for (a, b) in zip(y, upstream) { s += a * b }
            return s
        }
        var errors: [Double?] = []
        for i in inputs.indices {
            guard checked[i] else {
                errors.append(nil)
                continue
            }
            var worstDiff = 0.0, scale = 1e-8
            for e in 0..<xs[i].count {
                let original = xs[i][e]
                let h = step * max(1, abs(original))
                xs[i][e] = original + h
                let plus = objective(xs)
                xs[i][e] = original - h
                let minus = objective(xs)
                xs[i][e] = original
                let numeric = (plus - minus) / (2 * h)
                let analytic = Double(parameters[i].grad.data[e])
                worstDiff = max(worstDiff, abs(numeric - analytic))
                scale = max(scale, abs(numeric), abs(analytic))
            }
            errors.append(worstDiff / scale)
        }
        return Report(relativeErrors: errors)
    }
}
