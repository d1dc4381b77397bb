import Foundation
import Testing
import SLMModels
import SLMTensor
import SLMFormats
@testable import SLMTrain

/// The 10-step AdamW loss trajectories of scripts/golden/make_model_golden.py (PyTorch's
/// AdamW, LambdaLR warmup + cosine, clip_grad_norm_) within 1e-4 relative.
struct WrongModel: Error {}

@Suite struct GoldenTrajectoryTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SLMModelsTests/Golden").path

    struct Meta: Decodable {
        struct Opt: Decodable {
            var lr, beta1, beta2, eps: Double
            var weight_decay: Double
            var warmup, total, steps: Int
            var max_grad_norm: Double
        }
        var optimizer: Opt
        var losses: [Double]
        var grad_norms: [Double]
    }

    func run(_ name: String, loss: @escaping (AnyModel, ForwardPass, SafetensorsFile) throws -> Variable) throws {
        let folder = Self.golden + "/" + name
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/golden.json")))
        let data = try SafetensorsFile(path: folder + "/golden.safetensors")
        let model = try ModelFolder.load(folder)
        let o = meta.optimizer
        let options = TrainingOptions(
            learningRate: o.lr, schedule: .warmupCosine(warmup: o.warmup, total: o.total),
            adam: .init(beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weight_decay),
            maxGradNorm: o.max_grad_norm)
        let trainer = Trainer(model: model, options: options)
        for s in 0..<o.steps {
            let report = try trainer.trainStep { fp, _ in try loss(model, fp, data) }
            let expected = meta.losses[s]
            #expect(abs(report.loss - expected) <= 1e-4 * abs(expected), "\(name) step \(s): \(report.loss) vs \(expected)")
            #expect(abs(report.gradNorm - meta.grad_norms[s]) <= 1e-4 * meta.grad_norms[s], "\(name) step \(s) grad norm")
        }
    }

    func ids(_ f: SafetensorsFile, _ name: String) throws -> [Int32] { try f.integers(name).map { Int32($0) } }

    @Test func muTrajectoryMatchesPyTorch() throws {
        try run("mu") { model, fp, f in
            guard case .mu(let m) = model else { throw WrongModel() }
            return try m.loss(source: ids(f, "source"), decoderInput: ids(f, "decoder_input"), labels: ids(f, "labels"),
                              batch: 2, fp)
        }
    }

    @Test func baselineTrajectoryMatchesPyTorch() throws {
        try run("baseline") { model, fp, f in
            guard case .decoderOnly(let m) = model else { throw WrongModel() }
            return try m.loss(ids: ids(f, "ids"), labels: ids(f, "labels"), batch: 2, ignoreIndex: 0, fp)
        }
    }

    @Test func llamaTrajectoryMatchesPyTorch() throws {
        try run("llama") { model, fp, f in
            guard case .llama(let m) = model else { throw WrongModel() }
            let mask = try ids(f, "attention_mask").map { $0 != 0 }
            let logits = try m.logits(ids: ids(f, "ids"), batch: 2, keyMask: mask, fp)
            return fp.tape.crossEntropy(logits: logits, targets: try ids(f, "labels"), ignoreIndex: -100)
        }
    }

    @Test func scheduleIsTheSeedsLambda() {
        let s = LRSchedule.warmupCosine(warmup: 4, total: 12)
        #expect([0, 1, 2, 3, 4].map { s.multiplier(step: $0) } == [0, 0.25, 0.5, 0.75, 1])
        #expect(abs(s.multiplier(step: 8) - 0.5) < 1e-12)
        #expect(s.multiplier(step: 12) < 1e-12 && s.multiplier(step: 20) < 1e-12)
    }
}
