/// Residual add, scaling, activations and dropout.
extension Tape {
    /// a + b (same element count; the result takes a's shape).
    public func add(_ a: Variable, _ b: Variable) -> Variable {
        let av = value(a), bv = value(b)
        precondition(av.count == bv.count, "add: shapes \(av.shape) and \(bv.shape) differ")
        let out = Tensor(uninitialized: av.shape)
        Parallel.ranges(out.count) { r in
            Elementwise.add(out.data + r.lowerBound, av.data + r.lowerBound, bv.data + r.lowerBound, count: r.count)
        }
        return record(out, inputs: [a, b]) { tape, dy in
            for d in [tape.gradBuffer(a), tape.gradBuffer(b)] {
                guard let d else { continue }
                Parallel.ranges(dy.count) { r in
                    Elementwise.axpy(d.data + r.lowerBound, alpha: 1, dy.data + r.lowerBound, count: r.count)
                }
            }
        }
    }

    /// s · x (e.g. α·L_KD + (1−α)·L_CE as add(scale(kd, α), scale(ce, 1−α))).
    public func scale(_ x: Variable, by s: Float) -> Variable {
        let xv = value(x)
        let out = Tensor(uninitialized: xv.shape)
        Elementwise.scale(out.data, xv.data, by: s, count: out.count)
        return record(out, inputs: [x]) { tape, dy in
            if let dx = tape.gradBuffer(x) { Elementwise.axpy(dx.data, alpha: s, dy.data, count: dy.count) }
        }
    }

    /// tanh-approximation GELU.
    public func gelu(_ x: Variable) -> Variable {
        let xv = value(x)
        let out = Tensor(uninitialized: xv.shape)
        Parallel.ranges(out.count) { r in
            Activations.geluForward(out.data + r.lowerBound, xv.data + r.lowerBound, count: r.count)
        }
        return record(out, inputs: [x]) { tape, dy in
            guard let dx = tape.gradBuffer(x) else { return }
            Parallel.ranges(dy.count) { r in
                let o = r.lowerBound
                Activations.geluBackward(dx: dx.data + o, dy: dy.data + o, x: xv.data + o, count: r.count)
            }
        }
    }

    /// silu(gate) ⊙ up (same shapes).
    public func swiglu(gate: Variable, up: Variable) -> Variable {
        let g = value(gate), u = value(up)
        precondition(g.count == u.count, "swiglu: shapes \(g.shape) and \(u.shape) differ")
        let out = Tensor(uninitialized: g.shape)
        Activations.swigluForward(out.data, gate: g.data, up: u.data, count: out.count)
        return record(out, inputs: [gate, up]) { tape, dy in
            Activations.swigluBackward(dgate: tape.gradBuffer(gate)?.data, dup: tape.gradBuffer(up)?.data,
                                       dy: dy.data, gate: g.data, up: u.data, count: dy.count)
        }
    }

    /// Inverted dropout with probability p, drawing the mask from `rng`; the identity when
    /// not training or p = 0 (no RNG draws then).
    public func dropout(_ x: Variable, p: Float) -> Variable {
        guard isTraining && p > 0 else { return x }
        let xv = value(x)
        let mask = Tensor(uninitialized: xv.shape)
        Dropout.makeMask(mask.data, count: mask.count, p: p, rng: &rng)
        let out = Tensor(uninitialized: xv.shape)
        Elementwise.mul(out.data, xv.data, mask.data, count: out.count)
        return record(out, inputs: [x]) { tape, dy in
            if let dx = tape.gradBuffer(x) { Elementwise.mulAdd(dx.data, dy.data, mask.data, count: dy.count) }
        }
    }
}
