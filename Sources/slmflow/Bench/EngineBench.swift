import COpenBLAS
import Foundation
import SLMModels
import SLMTensor
import SLMTrain

/// The engine figures: width 256, 4 query / 2 KV heads, qkv 256, MLP 1024, vocab 8192;
/// Mu with 4 encoder + 2 decoder layers against the decoder-only baseline of equal parameters.
/// scripts/bench/engine_bench.py measures the same configuration with PyTorch.
enum EngineBench {
    static func muConfig(dropout: Float) -> MuConfig {
        var c = MuConfig(encoderLayers: 4, decoderLayers: 2, width: 256, qkvWidth: 256, heads: 4, kvHeads: 2,
                         mlpWidth: 1024, vocabSize: 8192, dropout: dropout, bosTokenID: 1, eosTokenID: 2)
        c.blockSize = 4096
        return c
    }

    /// Peak resident memory since the last reset (VmHWM), in bytes.
    static func peakMemory() -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int64($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    /// Resets VmHWM to the current RSS (Linux: "5" into clear_refs).
    static func resetPeakMemory() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    // MARK: Training

    struct TrainFigure: Codable {
        var model: String
        var parameters: Int
        var stepSeconds: Samples
        var tokensPerSecond: Double
        var gflopPerStep: Double
        var gflopPerSecond: Double
        var shareOfSgemmPeak: Double
        var peakMemoryBytes: Int64
        enum CodingKeys: String, CodingKey {
            case model, parameters, stepSeconds = "step_seconds", tokensPerSecond = "tokens_per_s"
            case gflopPerStep = "gflop_per_step", gflopPerSecond = "gflop_per_s", shareOfSgemmPeak = "share_of_sgemm_peak"
            case peakMemoryBytes = "peak_memory_bytes"
        }
    }

    struct TrainResult: Codable {
        var machine: String
        var threads: Int
        var batch: Int, source: Int, target: Int
        var dropout: Float
        var sgemmPeakGflops: Double
        var figures: [TrainFigure]
        enum CodingKeys: String, CodingKey {
            case machine, threads, batch, source, target, dropout
            case sgemmPeakGflops = "sgemm_peak_gflop_per_s", figures
        }
    }

    /// cblas_sgemm's own rate on this machine with OpenBLAS's threads (one per engine worker):
    /// the best of a few 1024³ products. The engine itself keeps OpenBLAS single-threaded and
    /// splits products over its workers; this is the library's peak it is compared with.
    /// Only for the benchmark, before any engine work: threaded OpenBLAS must never run beside
    /// the engine's workers.
    static func sgemmPeak() -> Double {
        openblas_set_num_threads(Int32(Parallel.workers))
        defer { openblas_set_num_threads(1) }
        let best = bestRate { a, b, c, n in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n),
                        0, c, Int32(n))
        }
        // OpenBLAS's threads spin for about 0.1 s after a product; let them go to sleep before
        // the engine's workers are timed.
        Thread.sleep(forTimeInterval: 0.3)
        return best
    }

    /// The engine's own rate on 1024³ products (split over its workers): what a stage's
    /// products run at, for the dry-run estimates.
    static func engineSgemmRate() -> Double {
        bestRate { a, b, c, n in Matmul.gemm(c, a, b, m: n, n: n, k: n, transB: true) }
    }

    private static func bestRate(_ product: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)
        -> Double {
        let n = 1024
        let a = Tensor(shape: [n, n], repeating: 0.5), b = Tensor(shape: [n, n], repeating: 0.25), c = Tensor(zeros: [n, n])
        var best = 0.0
        for _ in 0..<6 {
            let s = Samples.measure(1) { product(a.data, b.data, c.data, n) }
            best = max(best, 2 * Double(n * n * n) / s.median / 1e9)
        }
        return best
    }

    static func train(batch: Int, source: Int, target: Int, steps: Int, dropout: Float) throws -> TrainResult {
        let peak = sgemmPeak()
        let mu = muConfig(dropout: dropout)
        let baseline = DecoderOnlyConfig.matching(mu)
        let tokens = Double(batch * (source + target))
        let options = TrainingOptions(learningRate: 1e-4, schedule: .constant, maxGradNorm: 1.0, seed: 1)
        var figures: [TrainFigure] = []

        func measure(_ name: String, _ model: AnyModel, flops: Double, _ loss: @escaping (ForwardPass, inout SeededRNG) throws -> Variable) throws {
            resetPeakMemory()
            let trainer = Trainer(model: model, options: options)
            for _ in 0..<2 { try trainer.trainStep(loss) }  // warm-up: first-touch allocations
            let samples = try Samples.measure(steps) { try trainer.trainStep(loss) }
            let gflop = 3 * flops / 1e9
            figures.append(TrainFigure(
                model: name, parameters: model.container.parameterCount, stepSeconds: samples,
                tokensPerSecond: tokens / samples.median, gflopPerStep: gflop, gflopPerSecond: gflop / samples.median,
                shareOfSgemmPeak: gflop / samples.median / peak, peakMemoryBytes: peakMemory()))
        }

        func ids(_ n: Int, _ rng: inout SeededRNG) -> [Int32] { (0..<n).map { _ in 3 + Int32(rng.next() % 8189) } }

        let muModel = MuModel(config: mu, seed: 1)
        try measure("mu 4+2", .mu(muModel), flops: mu.forwardFlops(batch: batch, source: source, target: target)) { fp, rng in
            let src = ids(batch * source, &rng), y = ids(batch * target, &rng)
            var dec: [Int32] = []
            for b in 0..<batch { dec += [1] + y[(b * target)..<((b + 1) * target - 1)] }
            return try muModel.loss(source: src, decoderInput: dec, labels: y, batch: batch, fp)
        }
        let baseModel = DecoderOnlyModel(config: baseline, seed: 1)
        let length = source + target
        try measure("decoder-only \(baseline.nLayer) layers", .decoderOnly(baseModel),
                    flops: baseline.forwardFlops(batch: batch, length: length)) { fp, rng in
            let all = ids(batch * length, &rng)
            var labels = [Int32](repeating: 0, count: all.count)
            for b in 0..<batch {
                for t in (source - 1)..<(length - 1) { labels[b * length + t] = all[b * length + t + 1] }
            }
            return try baseModel.loss(ids: all, labels: labels, batch: batch, ignoreIndex: 0, fp)
        }
        return TrainResult(machine: machineDescription(), threads: Parallel.workers, batch: batch, source: source,
                           target: target, dropout: dropout, sgemmPeakGflops: peak, figures: figures)
    }

    // MARK: Inference

    struct InferFigure: Codable {
        var model: String
        var inputLength: Int
        var firstTokenSeconds: Double
        var decodeTokensPerSecond: Double
        var peakMemoryBytes: Int64
        enum CodingKeys: String, CodingKey {
            case model, inputLength = "input_length", firstTokenSeconds = "first_token_s"
            case decodeTokensPerSecond = "decode_tokens_per_s", peakMemoryBytes = "peak_memory_bytes"
        }
    }

    struct InferResult: Codable {
        var machine: String
        var threads: Int
        var newTokens: Int
        var figures: [InferFigure]
        var large: InferFigure?
        var largeParameters: Int?
        enum CodingKeys: String, CodingKey {
            case machine, threads, newTokens = "new_tokens", figures
            case large = "mu_330m", largeParameters = "mu_330m_parameters"
        }
    }

    /// First-token latency (encoder + first decoder step, or the prefill) and decode rate,
    /// medians of `repetitions`; generation never stops early (no EOS).
    static func inferOne(_ name: String, _ model: AnyModel, inputLength: Int, newTokens: Int, repetitions: Int) throws -> InferFigure {
        let generator = Generator(model: model)
        var rng = SeededRNG(seed: UInt64(inputLength))
        let prompt = (0..<inputLength).map { _ in 3 + Int32(rng.next() % UInt64(model.vocabSize - 3)) }
        resetPeakMemory()
        let options = GenerationOptions(maxNewTokens: 1 + newTokens, eosIDs: [])
        _ = try generator.generate(prompts: [prompt], options: options)  // warm-up
        var firsts: [Double] = [], decodes: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            var firstAt: UInt64 = 0
            _ = try generator.generate(prompts: [prompt], options: options) { _, _ in
                if firstAt == 0 { firstAt = DispatchTime.now().uptimeNanoseconds }
            }
            let end = DispatchTime.now().uptimeNanoseconds
            firsts.append(Double(firstAt - start) / 1e9)
            decodes.append(Double(newTokens) / (Double(end - firstAt) / 1e9))
        }
        let firstMedian = Samples(seconds: firsts).median, decodeMedian = Samples(seconds: decodes).median
        return InferFigure(model: name, inputLength: inputLength, firstTokenSeconds: firstMedian,
                           decodeTokensPerSecond: decodeMedian, peakMemoryBytes: peakMemory())
    }

    static func infer(lengths: [Int], newTokens: Int, repetitions: Int, large: Bool) throws -> InferResult {
        let mu = muConfig(dropout: 0)
        let muModel = AnyModel.mu(MuModel(config: mu, seed: 1))
        let baseModel = AnyModel.decoderOnly(DecoderOnlyModel(config: DecoderOnlyConfig.matching(mu), seed: 1))
        var figures: [InferFigure] = []
        for length in lengths {
            figures.append(try inferOne("mu 4+2", muModel, inputLength: length, newTokens: newTokens, repetitions: repetitions))
            figures.append(try inferOne("decoder-only", baseModel, inputLength: length, newTokens: newTokens, repetitions: repetitions))
        }
        var result = InferResult(machine: machineDescription(), threads: Parallel.workers, newTokens: newTokens, figures: figures)
        if large {
            // The released 330M shapes; weights N(0, 0.02) (timing does not depend on values).
            let big = MuModel(config: MuConfig(), seed: 1)
            result.largeParameters = big.parameterCount
            result.large = try inferOne("mu 330M", .mu(big), inputLength: 256, newTokens: newTokens, repetitions: max(1, repetitions / 2))
        }
        return result
    }
}
