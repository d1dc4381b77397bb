/// Grouped-query attention on the tape (self- or cross-attention).
extension Tape {
    /// q [batch·Lq, H·hd]; keys and values [batch·Lk, G·hd] (from another sequence for
    /// cross-attention) → [batch·Lq, H·hd]. Apply RoPE to q and keys beforehand when wanted.
    /// - Parameter keyMask: [batch·Lk], true for real keys, false for padding; nil = all real.
    public func attention(
        query q: Variable, keys k: Variable, values v: Variable, batch: Int,
        config: AttentionConfig, keyMask: [Bool]? = nil
    ) -> Variable {
        let qT = value(q), kT = value(k), vT = value(v)
        let hd = config.headDim
        precondition(qT.columns == config.queryHeads * hd, "query width \(qT.columns) ≠ \(config.queryHeads)×\(hd)")
        precondition(kT.columns == config.kvHeads * hd && vT.columns == kT.columns,
                     "key/value widths \(kT.columns)/\(vT.columns) ≠ \(config.kvHeads)×\(hd)")
        precondition(batch > 0 && qT.rows % batch == 0 && kT.rows % batch == 0 && kT.rows == vT.rows,
                     "rows \(qT.rows)/\(kT.rows)/\(vT.rows) do not split into batch \(batch)")
        let lq = qT.rows / batch, lk = kT.rows / batch
        precondition(!config.causal || lq <= lk, "causal attention needs Lq ≤ Lk, got \(lq) and \(lk)")
        precondition(keyMask == nil || keyMask?.count == batch * lk, "key mask needs \(batch * lk) entries")

        let maskBytes: [UInt8]? = keyMask.map { $0.map { $0 ? 1 : 0 } }
        let probs = Tensor(uninitialized: [batch, config.queryHeads, lq, lk])
        var dropoutMask: Tensor?
        if isTraining && config.dropout > 0 {
            let m = Tensor(uninitialized: probs.shape)
            Dropout.makeMask(m.data, count: m.count, p: config.dropout, rng: &rng)
            dropoutMask = m
        }
        let out = Tensor(uninitialized: qT.shape)
        let scratch = Tensor(uninitialized: [2, max(lq * lk, 1)])
        withOptionalBytes(maskBytes) { keyMaskPointer in
            Attention.forward(out: out.data, probs: probs.data, q: qT.data, k: kT.data, v: vT.data,
                              keyMask: keyMaskPointer, dropoutMask: dropoutMask?.data, scratch: scratch.data,
                              batch: batch, queryLength: lq, keyLength: lk, config: config)
        }
        return record(out, inputs: [q, k, v]) { tape, dy in
            let dq = tape.gradBuffer(q), dk = tape.gradBuffer(k), dv = tape.gradBuffer(v)
            withOptionalBytes(maskBytes) { keyMaskPointer in
                Attention.backward(dq: dq?.data, dk: dk?.data, dv: dv?.data, dout: dy.data, probs: probs.data,
                                   q: qT.data, k: kT.data, v: vT.data, keyMask: keyMaskPointer,
                                   dropoutMask: dropoutMask?.data, scratch: scratch.data,
                                   batch: batch, queryLength: lq, keyLength: lk, config: config)
            }
        }
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<UInt8>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBufferPointer { body($0.baseAddress) }
}
