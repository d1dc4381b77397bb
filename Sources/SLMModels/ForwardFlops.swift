/// Matrix-product FLOPs of one forward pass (a multiply–add counts 2): the linear layers, the
/// attention products (scores and weighted values, causal ones counted in full) and the
/// output head. Norms, softmax and elementwise work are left out (a few percent at these
/// widths). A training step costs about 3× its forward pass: the backward pass computes two
/// products for every forward one — the usual 6·N·tokens, plus the attention terms.
/// Decoding with a KV cache does the same products as one teacher-forced pass over the
/// prompt and the generated tokens.
extension MuConfig {
    /// `batch` rows of `source` encoder and `target` decoder positions.
    public func forwardFlops(batch: Int, source: Int, target: Int) -> Double {
        let d = Double(nEmbd), q = Double(qkvEmbd), kv = Double(kvWidth), m = Double(hiddenDim)
        let es = Double(batch * source), dt = Double(batch * target)
        let attentionLinear = d * q + 2 * d * kv + q * d
        let mlp = 2 * d * m
        let h = Double(nHead), hd = Double(headDim), b = Double(batch), s = Double(source), t = Double(target)
        let encoderLayer = 2 * es * (attentionLinear + mlp) + 4 * b * h * s * s * hd
        // Causal self-attention and MLP on the decoder rows; cross-attention: queries and
        // output on the decoder rows, keys and values on the encoder rows.
        let decoderLayer = 2 * dt * (attentionLinear + mlp) + 4 * b * h * t * t * hd
            + 2 * dt * (d * q + q * d) + 2 * es * (2 * d * kv) + 4 * b * h * t * s * hd
        return Double(nEncoderLayer) * encoderLayer + Double(nDecoderLayer) * decoderLayer + 2 * dt * d * Double(vocabSize)
    }

    /// Parameters one decoding step reads: the decoder blocks, the final norm and the tied head.
    public var decodingStepParameters: Int {
        nDecoderLayer * decoderBlockParameters + vocabSize * nEmbd + nEmbd + (lmHeadBias ? vocabSize : 0)
    }
}

extension DecoderOnlyConfig {
    /// `batch` rows of `length` positions.
    public func forwardFlops(batch: Int, length: Int) -> Double {
        let c = widths
        let d = Double(c.nEmbd), q = Double(c.qkvEmbd), kv = Double(c.kvWidth), m = Double(c.hiddenDim)
        let n = Double(batch * length), l = Double(length)
        let layer = 2 * n * (d * q + 2 * d * kv + q * d + 2 * d * m) + 4 * Double(batch) * Double(c.nHead) * l * l * Double(c.headDim)
        return Double(nLayer) * layer + 2 * n * d * Double(c.vocabSize)
    }

    /// Every parameter is read for each generated token.
    public var decodingStepParameters: Int { parameterCount }
}

extension LlamaConfig {
    /// `batch` rows of `length` positions.
    public func forwardFlops(batch: Int, length: Int) -> Double {
        let h = Double(hiddenSize), q = Double(numAttentionHeads * headDim), kv = Double(kvHeads * headDim)
        let n = Double(batch * length), l = Double(length)
        let linear = h * q + 2 * h * kv + q * h + 3 * h * Double(intermediateSize)
        let layer = 2 * n * linear + 4 * Double(batch) * Double(numAttentionHeads) * l * l * Double(headDim)
        return Double(numHiddenLayers) * layer + 2 * n * h * Double(vocabSize)
    }

    /// Every parameter but the input embedding (when untied) is read for each generated token.
    public var decodingStepParameters: Int { parameterCount - (tieWordEmbeddings ? 0 : vocabSize * hiddenSize) }
}
