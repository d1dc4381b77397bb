import Foundation
import Testing
@testable import SLMModels
import SLMTensor

/// Greedy decoding by full recomputation on the tape (the seed's loop: the whole decoder on
/// the whole prefix every step), the reference for the cached generator. With a repetition
/// penalty, the last row's logits of every id in the decoder's input are penalised first.
func greedyByRecomputation(_ model: AnyModel, prompt: [Int32], maxNewTokens: Int, eos: Set<Int32>,
                           repetitionPenalty: Float? = nil) throws -> [Int32] {
    var out: [Int32] = []
    for _ in 0..<maxNewTokens {
        let fp = ForwardPass.inference()
        let logits: Variable
        let decoderInput: [Int32]
        switch model {
        case .mu(let m):
            decoderInput = [Int32(m.config.bosTokenID)] + out
            logits = try m.logits(source: prompt, decoderInput: decoderInput, batch: 1, fp)
        case .decoderOnly(let m):
            decoderInput = prompt + out
            logits = try m.logits(ids: decoderInput, batch: 1, fp)
        case .llama(let m):
            decoderInput = prompt + out
            logits = try m.logits(ids: decoderInput, batch: 1, fp)
        }
        let z = fp.tape.value(logits)
        let last = z.data + (z.rows - 1) * z.columns
        if let repetitionPenalty {
            for id in Set(decoderInput) {
                last[Int(id)] = last[Int(id)] < 0 ? last[Int(id)] * repetitionPenalty : last[Int(id)] / repetitionPenalty
            }
        }
        let token = Int32(Sampler.argmax(last, count: z.columns))
        out.append(token)
        if eos.contains(token) { break }
    }
    return out
}

/// Scales every weight so that tiny random models have well-separated logits (no argmax
/// near-ties that float rounding could flip).
func sharpen(_ model: ParameterContainer, by factor: Float) {
    for p in model.parameters where p.shape.count == 2 {
        Elementwise.scale(p.value.data, p.value.data, by: factor, count: p.value.count)
    }
}

@Suite struct GenerationTests {
    static let prompts: [[Int32]] = [[5, 17, 42, 9, 33, 12, 7], [8, 3], [60, 61, 62, 63, 4], [11]]

    static func models() throws -> [(String, AnyModel)] {
        let mu = try ModelFolder.load(Golden.root + "/mu")
        let baseline = try ModelFolder.load(Golden.root + "/baseline")
        let llama = try ModelFolder.load(Golden.root + "/llama")
        let interleaved = MuModel(config: MuConfig(encoderLayers: 2, decoderLayers: 2, width: 24, qkvWidth: 16, heads: 4,
                                                   kvHeads: 2, mlpWidth: 40, vocabSize: 64, isInterleaved: true), seed: 11)
        sharpen(interleaved, by: 8)
        let untied = LlamaModel(config: LlamaConfig(layers: 2, hidden: 24, intermediate: 40, heads: 6, kvHeads: 3,
                                                    vocabSize: 64, tied: false), seed: 12)
        sharpen(untied, by: 8)
        // Windows shorter than the prompts, one inside a query block and one across them.
        var windowConfig = LlamaConfig(layers: 2, hidden: 24, intermediate: 40, heads: 6, kvHeads: 3, vocabSize: 64, tied: true)
        windowConfig.slidingWindow = 5
        let window5 = LlamaModel(config: windowConfig, seed: 13)
        sharpen(window5, by: 8)
        windowConfig.slidingWindow = 131
        let window131 = LlamaModel(config: windowConfig, seed: 14)
        sharpen(window131, by: 8)
        return [("mu", mu), ("baseline", baseline), ("llama", llama), ("mu-v2 order", .mu(interleaved)), ("llama untied", .llama(untied)),
                ("llama sliding window 5", .llama(window5)), ("llama sliding window 131", .llama(window131))]
    }

    @Test func cachedGreedyEqualsFullRecomputationTokenForToken() throws {
        for (name, model) in try Self.models() {
            let generator = Generator(model: model)
            let eos = Set(generator.defaultEOS)
            let batched = try generator.generate(prompts: Self.prompts, options: GenerationOptions(maxNewTokens: 12))
            for (i, prompt) in Self.prompts.enumerated() {
                let reference = try greedyByRecomputation(model, prompt: prompt, maxNewTokens: 12, eos: eos)
                #expect(batched[i] == reference, "\(name), prompt \(i): cached \(batched[i]) vs recomputed \(reference)")
                let single = try generator.generate(prompts: [prompt], options: GenerationOptions(maxNewTokens: 12))
                #expect(single[0] == reference, "\(name), prompt \(i) alone")
            }
            #expect(batched.contains { $0.count > 3 }, "\(name): outputs too short to mean much: \(batched)")
        }
    }

    /// transformers' repetition penalty in cached, batched decoding: the same tokens as
    /// recomputing every step and penalising the decoder's whole input (prompt or BOS, and
    /// the tokens so far), and other tokens than without it.
    @Test func repetitionPenaltyMatchesRecomputationAndChangesTheOutput() throws {
        var changed = 0
        for (name, model) in try Self.models() {
            let generator = Generator(model: model)
            let eos = Set(generator.defaultEOS)
            for penalty: Float in [1.8, 0.6] {
                let options = GenerationOptions(maxNewTokens: 12, repetitionPenalty: penalty)
                let batched = try generator.generate(prompts: Self.prompts, options: options)
                let plain = try generator.generate(prompts: Self.prompts, options: GenerationOptions(maxNewTokens: 12))
                if batched != plain { changed += 1 }
                for (i, prompt) in Self.prompts.enumerated() {
                    let reference = try greedyByRecomputation(model, prompt: prompt, maxNewTokens: 12, eos: eos,
                                                              repetitionPenalty: penalty)
                    #expect(batched[i] == reference, "\(name), penalty \(penalty), prompt \(i): \(batched[i]) vs \(reference)")
                }
            }
        }
        #expect(changed >= 7, "the penalty changed the output of only \(changed) of 14 model × penalty runs")
        #expect(throws: GenerationError.self) {
            try Generator(model: try Self.models()[0].1).generate(prompts: [[5]], options: GenerationOptions(repetitionPenalty: 0))
        }
    }

    /// Prompts long enough that the encoder and the prefill split their rows over the workers
    /// (`Infer.minimumParallelRows`) and attention spans several query blocks.
    @Test func longPromptsEqualFullRecomputation() throws {
        let long: [Int32] = (0..<150).map { (i: Int) -> Int32 in Int32(3 + (i * 7 + i / 5) % 60) }
        for (name, model) in try Self.models() {
            let generator = Generator(model: model)
            let eos = Set(generator.defaultEOS)
            for prompt in [Array(long.prefix(33)), long] {
                let reference = try greedyByRecomputation(model, prompt: prompt, maxNewTokens: 6, eos: eos)
                let cached = try generator.generate(prompts: [prompt], options: GenerationOptions(maxNewTokens: 6))
                #expect(cached[0] == reference, "\(name), prompt of \(prompt.count)")
            }
        }
    }

    /// A batched prefill of 205 rows: the workers' row ranges cut through a sequence, so the
    /// rotation and caching of each range must follow the sequences it spans.
    @Test func batchedLongPromptsEqualFullRecomputation() throws {
        let long: [Int32] = (0..<150).map { (i: Int) -> Int32 in Int32(3 + (i * 11 + i / 3) % 60) }
        let prompts = [Array(long.prefix(70)), Array(long.suffix(45)), Array(long.prefix(90).reversed())]
        for (name, model) in try Self.models() {
            let generator = Generator(model: model)
            let eos = Set(generator.defaultEOS)
            let batched = try generator.generate(prompts: prompts, options: GenerationOptions(maxNewTokens: 6))
            for (i, prompt) in prompts.enumerated() {
                let reference = try greedyByRecomputation(model, prompt: prompt, maxNewTokens: 6, eos: eos)
                #expect(batched[i] == reference, "\(name), prompt \(i) of \(prompt.count)")
            }
        }
    }

    /// NTK RoPE scaling (rope_factor > 1): the encoder's base grows with a source longer than
    /// block_size; the decoder's stays plain up to block_size tokens, so the cache is exact there,
    /// and a longer request is refused rather than answered with wrongly rotated keys.
    @Test func ntkScaledMuDecodesExactlyUpToBlockSize() throws {
        var config = MuConfig(encoderLayers: 2, decoderLayers: 2, width: 24, qkvWidth: 16, heads: 4, kvHeads: 2,
                              mlpWidth: 40, vocabSize: 64)
        config.ropeFactor = 4
        config.blockSize = 16
        let mu = MuModel(config: config, seed: 5)
        sharpen(mu, by: 8)
        #expect(mu.ropeTheta(length: 40) > config.ropeTheta)
        let source: [Int32] = (0..<40).map { Int32(3 + ($0 * 13) % 60) }
        let generator = Generator(model: .mu(mu))
        let cached = try generator.generate(prompts: [source], options: GenerationOptions(maxNewTokens: 16, eosIDs: []))
        let reference = try greedyByRecomputation(.mu(mu), prompt: source, maxNewTokens: 16, eos: [])
        #expect(cached[0] == reference)
        #expect(throws: GenerationError.self) {
            try generator.generate(prompts: [source], options: GenerationOptions(maxNewTokens: 17))
        }
    }

    @Test func samplingIsSeededAndTopKOneIsGreedy() throws {
        let model = try ModelFolder.load(Golden.root + "/mu")
        let generator = Generator(model: model)
        let sampled = GenerationOptions(maxNewTokens: 10, temperature: 1.3, topK: 20, seed: 7)
        let a = try generator.generate(prompts: Self.prompts, options: sampled)
        let b = try generator.generate(prompts: Self.prompts, options: sampled)
        #expect(a == b)
        var other = sampled
        other.seed = 8
        #expect(try generator.generate(prompts: Self.prompts, options: other) != a)
        // A prompt's sample does not depend on the rest of the batch.
        let alone = try generator.generate(prompts: [Self.prompts[0]], options: sampled)
        #expect(alone[0] == a[0])
        let greedy = try generator.generate(prompts: Self.prompts, options: GenerationOptions(maxNewTokens: 10))
        let topOne = try generator.generate(prompts: Self.prompts,
                                            options: GenerationOptions(maxNewTokens: 10, temperature: 0.7, topK: 1, seed: 3))
        #expect(greedy == topOne)
    }

    @Test func stopsAtEOSAndRejectsBadRequests() throws {
        let model = try ModelFolder.load(Golden.root + "/baseline")
        let generator = Generator(model: model)
        let free = try generator.generate(prompts: [[5, 6, 7]], options: GenerationOptions(maxNewTokens: 6))
        #expect(free[0].count == 6)
        // Declaring the first generated token an EOS stops right after it.
        let stopped = try generator.generate(prompts: [[5, 6, 7]], options: GenerationOptions(maxNewTokens: 6, eosIDs: [free[0][0]]))
        #expect(stopped[0] == [free[0][0]])
        #expect(throws: InvalidTokenError.self) { try generator.generate(prompts: [[5, 64]]) }
        #expect(throws: GenerationError.self) { try generator.generate(prompts: [[]]) }
        #expect(throws: GenerationError.self) { try generator.generate(prompts: [[5]], options: GenerationOptions(topK: 0)) }
        #expect(throws: GenerationError.self) { try generator.generate(prompts: [[5]], options: GenerationOptions(topP: 0)) }
        #expect(throws: GenerationError.self) { try generator.generate(prompts: [[5]], options: GenerationOptions(topP: 1.5)) }
    }

    /// The tokens `onToken` hears, in order, are each prompt's output.
    @Test func onTokenStreamsEveryOutputToken() throws {
        let generator = Generator(model: try ModelFolder.load(Golden.root + "/llama"))
        var heard = [[Int32]](repeating: [], count: Self.prompts.count)
        let outputs = try generator.generate(prompts: Self.prompts, options: GenerationOptions(maxNewTokens: 9)) { prompt, token in
            heard[prompt].append(token)
        }
        #expect(heard == outputs && outputs.allSatisfy { !$0.isEmpty })
    }
}

/// The sampling distribution against transformers' warpers (scripts/golden/make_sampling_golden.py).
@Suite struct SamplerTests {
    struct Case: Decodable {
        var logits: [Float]
        var repetition_penalty: Float?
        var input_ids: [Int32]?
        var penalised: [Float]?
        var temperature: Float
        var top_k: Int?
        var top_p: Double
        var probabilities: [Double]
    }

    @Test func repetitionPenaltyTemperatureTopKAndTopPMatchTransformers() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Golden.root + "/sampling.json"))
        struct File: Decodable { var cases: [Case] }
        let cases = try JSONDecoder().decode(File.self, from: data).cases
        #expect(cases.count == 9 && cases.filter { $0.repetition_penalty != nil }.count == 3)
        for c in cases {
            var logits = c.logits
            if let penalty = c.repetition_penalty, let ids = c.input_ids, let expected = c.penalised {
                logits.withUnsafeMutableBufferPointer { Sampler.penalize($0.baseAddress!, ids: Set(ids), penalty: penalty) }
                #expect(logits == expected, "penalty \(penalty): the penalised logits")
            }
            let options = GenerationOptions(temperature: c.temperature, topK: c.top_k, topP: c.top_p)
            let w = logits.withUnsafeBufferPointer { Sampler.weights($0.baseAddress!, count: logits.count, options: options) }
            let total = w.reduce(0, +)
            let settings = "penalty \(c.repetition_penalty ?? 1), T \(c.temperature), top-k \(c.top_k.map(String.init) ?? "none"), top-p \(c.top_p)"
            #expect(w.map { $0 > 0 } == c.probabilities.map { $0 > 0 }, "kept tokens, \(settings)")
            let worst = zip(w, c.probabilities).map { abs($0 / total - $1) }.max() ?? .infinity
            #expect(worst < 1e-5, "\(settings): \(worst)")
        }
    }

    /// The top-k threshold by heap selection equals the sorted list's k-th value, ties and all.
    @Test func kthLargestEqualsSorting() {
        var rng = SeededRNG(seed: 5)
        for count in [1, 2, 7, 64, 1000] {
            // Few distinct values, so ties are common.
            let values = (0..<count).map { _ in Float(Int(rng.next() % 9)) - 4 }
            let sorted = values.sorted(by: >)
            for k in Set([1, 2, count / 2, count - 1, count]) where k >= 1 && k <= count {
                let kth = values.withUnsafeBufferPointer { Sampler.kthLargest($0.baseAddress!, count: count, k: k) }
                #expect(kth == sorted[k - 1], "count \(count), k \(k)")
            }
        }
    }

    /// The nucleus found from the head of the distribution keeps exactly the tokens the
    /// warper's loop over the whole sorted vocabulary keeps, peaked and flat alike.
    @Test func nucleusFromTheHeadEqualsTheFullSort() {
        var rng = SeededRNG(seed: 9)
        for count in [5, 64, 1000, 49_152] {
            for spread in [0.3, 1.5, 6.0] {
                let logits = (0..<count).map { _ in Float(rng.nextNormal() * spread) }
                for p in [0.05, 0.3, 0.5, 0.9, 0.99] {
                    var fast = logits.withUnsafeBufferPointer { Sampler.weights($0.baseAddress!, count: count, options: GenerationOptions(temperature: 1)) }
                    var reference = fast
                    let total = fast.reduce(0, +)
                    Sampler.keepNucleus(&fast, total: total, p: p)
                    Sampler.keepNucleusReference(&reference, total: total, p: p)
                    #expect(fast.map { $0 > 0 } == reference.map { $0 > 0 }, "\(count) ids, spread \(spread), p \(p)")
                }
            }
        }
    }

    @Test func topPKeepsTheSmallestLikelySetAndSamplesOnlyFromIt() {
        // Probabilities 0.5, 0.3, 0.15, 0.05: top-p 0.75 drops the two least likely (their
        // 0.2 is ≤ 0.25); the second token alone would leave 0.5 > 0.25, so it stays.
        let logits: [Float] = [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        var rng = SeededRNG(seed: 1)
        var seen = Set<Int32>()
        let options = GenerationOptions(temperature: 1, topP: 0.75)
        for _ in 0..<400 {
            seen.insert(logits.withUnsafeBufferPointer { Sampler.pick($0.baseAddress!, count: 4, options: options, rng: &rng) })
        }
        #expect(seen == [0, 1])
        // p = 1 changes nothing: the same seed draws the same tokens as no top-p at all.
        var a = SeededRNG(seed: 2), b = SeededRNG(seed: 2)
        for _ in 0..<50 {
            let x = logits.withUnsafeBufferPointer { Sampler.pick($0.baseAddress!, count: 4, options: GenerationOptions(temperature: 1, topP: 1), rng: &a) }
            let y = logits.withUnsafeBufferPointer { Sampler.pick($0.baseAddress!, count: 4, options: GenerationOptions(temperature: 1), rng: &b) }
            #expect(x == y)
        }
    }
}
