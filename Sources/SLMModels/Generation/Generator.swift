import Foundation
import SLMTensor

/// How to pick tokens and when to stop.
public struct GenerationOptions: Sendable {
    public var maxNewTokens = 64
    /// 0 = greedy (argmax; the first index wins ties).
    public var temperature: Float = 0
    /// Keep only the k largest logits before sampling (nil = all).
    public var topK: Int?
    /// Nucleus sampling (0 < p ≤ 1): after temperature and top-k, keep the most likely tokens
    /// whose probabilities sum to at least p (nil = all).
    public var topP: Double?
    /// transformers' `repetition_penalty` (> 0; nil or 1 = off): before anything else, each id
    /// the decoder has read or written so far (a decoder-only model's prompt too; a Mu's BOS)
    /// has its logit divided by the penalty when positive, multiplied when negative.
    public var repetitionPenalty: Float?
    public var seed: UInt64 = 0
    /// Stop ids; nil = the model's EOS.
    public var eosIDs: [Int32]?

    public init(maxNewTokens: Int = 64, temperature: Float = 0, topK: Int? = nil, topP: Double? = nil,
                repetitionPenalty: Float? = nil, seed: UInt64 = 0, eosIDs: [Int32]? = nil) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
        self.eosIDs = eosIDs
    }
}

public struct GenerationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Batched generation with KV caches.
///
/// Mu: each prompt goes to the encoder (run once, unpadded), the decoder starts from BOS and
/// keeps a self-attention KV cache; cross-attention K/V are computed once per request.
/// Decoder-only models: the prompt is the prefix, prefilled in one pass. Prompts of different
/// lengths need no padding: every sequence has its own cache and positions, and the linear
/// layers run over the stacked rows of all active sequences. A sequence stops at EOS (kept in
/// its output) or after `maxNewTokens`.
public final class Generator {
    public let model: AnyModel
    let stack: InferenceStack

    public init(model: AnyModel) {
        self.model = model
        stack = InferenceStack(model)
    }

    public var defaultEOS: [Int32] {
        switch model {
        case .mu(let m): return [Int32(m.config.eosTokenID)]
        case .decoderOnly(let m): return [Int32(m.config.widths.eosTokenID)]
        case .llama(let m): return m.config.eosIDs.map { Int32($0) }
        }
    }

    /// Generated ids per prompt (without the prompt or BOS; with the EOS that stopped it).
    /// `onToken(prompt, token)` hears each token as soon as it is chosen (for streaming).
    public func generate(prompts: [[Int32]], options: GenerationOptions = GenerationOptions(),
                         onToken: ((_ prompt: Int, _ token: Int32) -> Void)? = nil) throws -> [[Int32]] {
        guard !prompts.isEmpty else { return [] }
        guard options.maxNewTokens >= 0 else { throw GenerationError("max new tokens must be ≥ 0") }
        guard options.temperature >= 0, options.temperature.isFinite else { throw GenerationError("temperature must be ≥ 0") }
        if let k = options.topK, k < 1 { throw GenerationError("top-k must be ≥ 1") }
        if let p = options.topP, !(p > 0 && p <= 1) { throw GenerationError("top-p must be in (0, 1]") }
        if let r = options.repetitionPenalty, !(r > 0 && r.isFinite) { throw GenerationError("repetition penalty must be > 0") }
        for (i, p) in prompts.enumerated() {
            try validateTokens(p, vocabSize: stack.vocabSize, what: "prompt \(i)")
        }
        // With NTK scaling (rope_factor > 1) the decoder's RoPE base changes once it holds more
        // than block_size tokens, which would re-rotate every cached key; up to that length
        // the base is the plain one (seed-spec §1.4.4) and the cache is exact. The encoder
        // runs once at its full length and takes its scaled base directly.
        if case .mu(let m) = model, m.config.ropeFactor > 1, options.maxNewTokens > m.config.blockSize {
            throw GenerationError("with rope_factor \(m.config.ropeFactor) the decoder's RoPE base changes past block_size "
                                  + "\(m.config.blockSize) tokens; cached generation covers at most \(m.config.blockSize) new tokens "
                                  + "(asked for \(options.maxNewTokens))")
        }
        let eos = Set(options.eosIDs ?? defaultEOS)
        let root = SeededRNG(seed: options.seed)
        var rngs = prompts.indices.map { root.derived(stream: UInt64($0)) }
        var outputs = [[Int32]](repeating: [], count: prompts.count)
        if options.maxNewTokens == 0 { return outputs }

        // Start: encoder + BOS (Mu) or the prompt as prefix (decoder-only).
        var states: [SequenceState] = []
        var firstTokens: [[Int32]] = []
        var requestLengths: [Int] = []
        for p in prompts {
            switch model {
            case .mu(let m):
                guard !p.isEmpty else { throw GenerationError("an encoder-decoder prompt needs at least one token") }
                let s = stack.newSequence(capacity: 1 + options.maxNewTokens)
                stack.encode(source: p, into: s)
                states.append(s)
                firstTokens.append([Int32(m.config.bosTokenID)])
                requestLengths.append(1 + options.maxNewTokens)
            case .decoderOnly, .llama:
                guard !p.isEmpty else { throw GenerationError("a decoder-only prompt needs at least one token") }
                states.append(stack.newSequence(capacity: p.count + options.maxNewTokens))
                firstTokens.append(p)
                requestLengths.append(p.count + options.maxNewTokens)
            }
        }
        let requestLength = requestLengths.max() ?? 1  // prompts is non-empty here
        var logits = stack.step(states, tokens: firstTokens, requestLength: requestLength)
        // What the repetition penalty counts per sequence: every id its decoder has read.
        let penalty = options.repetitionPenalty.flatMap { $0 == 1 ? nil : $0 }
        var decoderIDs = penalty == nil ? [] : firstTokens.map(Set.init)
        var active = Array(prompts.indices)
        while true {
            var next: [Int32] = []
            var stillActive: [Int] = []
            for (row, index) in active.enumerated() {
                let rowLogits = logits.data + row * stack.vocabSize
                if let penalty { Sampler.penalize(rowLogits, ids: decoderIDs[index], penalty: penalty) }
                let token = Sampler.pick(rowLogits, count: stack.vocabSize, options: options, rng: &rngs[index])
                if penalty != nil { decoderIDs[index].insert(token) }
                outputs[index].append(token)
                onToken?(index, token)
                if !eos.contains(token) && outputs[index].count < options.maxNewTokens {
                    stillActive.append(index)
                    next.append(token)
                }
            }
            if stillActive.isEmpty { break }
            let stepStates = stillActive.map { states[$0] }
            logits = stack.step(stepStates, tokens: next.map { [$0] }, requestLength: requestLength)
            active = stillActive
        }
        return outputs
    }
}
