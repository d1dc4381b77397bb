import Foundation
import Testing
import SLMFormats
@testable import SLMModels
import SLMTensor

/// Forward and backward of whole models against PyTorch (llm.c's test_gpt2 pattern):
/// logits and encoder outputs within 1e-4 max abs; every parameter's gradient within 1e-4
/// (normwise relative to the PyTorch gradient).
@Suite struct GoldenModelTests {
    static let tolerance: Float = 1e-4

    func checkGradients(_ model: ParameterContainer, _ golden: Golden) throws {
        var checked = 0
        for p in model.parameters {
            let reference = try golden.tensor("grad." + p.name)
            let error = relativeDiff(p.grad, reference)
            #expect(error < Self.tolerance, "gradient of \(p.name): relative error \(error)")
            checked += 1
        }
        #expect(checked == model.parameters.count && checked > 10)
    }

    @Test func muLogitsEncoderOutputAndGradientsMatchPyTorch() throws {
        let golden = try Golden("mu")
        guard case .mu(let model) = try ModelFolder.load(golden.folder) else { Issue.record("not a Mu model"); return }
        #expect(model.config.qkvEmbd < model.config.nEmbd && model.config.nHead == 2 * model.config.nKVHead)
        let source = try golden.ids("source"), decoderInput = try golden.ids("decoder_input"), labels = try golden.ids("labels")
        let batch = try golden.shape("source")[0]

        let fp = ForwardPass(tape: Tape(training: true), trainable: true)
        let (encoded, mask) = try model.encode(source: source, batch: batch, fp)
        let logits = try model.decode(target: decoderInput, batch: batch, encoded: encoded, sourceMask: mask, fp)
        let loss = fp.tape.crossEntropy(logits: logits, targets: labels, ignoreIndex: 0)
        #expect(maxAbsDiff(fp.tape.value(encoded), try golden.tensor("encoder_output")) < Self.tolerance)
        #expect(maxAbsDiff(fp.tape.value(logits), try golden.tensor("logits")) < Self.tolerance)
        #expect(abs(Double(fp.tape.value(loss)[0]) - golden.loss) < 1e-4 * golden.loss)

        model.zeroGrad()
        fp.tape.backward(from: loss)
        try checkGradients(model, golden)
    }

    @Test func decoderOnlyBaselineMatchesPyTorch() throws {
        let golden = try Golden("baseline")
        guard case .decoderOnly(let model) = try ModelFolder.load(golden.folder) else { Issue.record("not a baseline"); return }
        let ids = try golden.ids("ids"), labels = try golden.ids("labels")
        let batch = try golden.shape("ids")[0]
        let fp = ForwardPass(tape: Tape(training: true), trainable: true)
        let logits = try model.logits(ids: ids, batch: batch, fp)
        let loss = fp.tape.crossEntropy(logits: logits, targets: labels, ignoreIndex: 0)
        #expect(maxAbsDiff(fp.tape.value(logits), try golden.tensor("logits")) < Self.tolerance)
        #expect(abs(Double(fp.tape.value(loss)[0]) - golden.loss) < 1e-4 * golden.loss)
        model.zeroGrad()
        fp.tape.backward(from: loss)
        try checkGradients(model, golden)
    }

    @Test func llamaWithBiasTiedHeadAndLeftPaddingMatchesTransformers() throws {
        let golden = try Golden("llama")
        guard case .llama(let model) = try ModelFolder.load(golden.folder) else { Issue.record("not a Llama"); return }
        #expect(model.lmHead == nil && model.config.attentionBias)
        let ids = try golden.ids("ids"), labels = try golden.ids("labels")
        let mask = try golden.ids("attention_mask").map { $0 != 0 }
        let batch = try golden.shape("ids")[0]
        let fp = ForwardPass(tape: Tape(training: true), trainable: true)
        let logits = try model.logits(ids: ids, batch: batch, keyMask: mask, fp)
        let loss = fp.tape.crossEntropy(logits: logits, targets: labels, ignoreIndex: -100)
        // Rows of left padding attend to nothing; only real positions are compared.
        let ours = fp.tape.value(logits), reference = try golden.tensor("logits")
        let vocab = ours.columns
        for row in 0..<ours.rows where mask[row] {
            var diff: Float = 0
            for j in 0..<vocab { diff = max(diff, abs(ours.data[row * vocab + j] - reference.data[row * vocab + j])) }
            #expect(diff < Self.tolerance, "row \(row): \(diff)")
        }
        #expect(abs(Double(fp.tape.value(loss)[0]) - golden.loss) < 1e-4 * golden.loss)
        model.zeroGrad()
        fp.tape.backward(from: loss)
        try checkGradients(model, golden)
    }

    /// transformers' sliding-window mask (kv > q − 5) in both layers, on the tape and in the
    /// cached prefill, with one row left-padded; pad rows attend to nothing and are skipped.
    @Test func phi3SlidingWindowMatchesTransformers() throws {
        let golden = try Golden("phi3_window")
        guard case .llama(let model) = try ModelFolder.load(golden.folder) else { Issue.record("not a Phi-3"); return }
        #expect(model.config.slidingWindow == 5)
        let ids = try golden.ids("ids"), mask = try golden.ids("attention_mask").map { $0 != 0 }
        let batch = try golden.shape("ids")[0], length = ids.count / batch
        let fp = ForwardPass.inference()
        let ours = fp.tape.value(try model.logits(ids: ids, batch: batch, keyMask: mask, fp))
        let reference = try golden.tensor("logits")
        let vocab = reference.columns
        func rowDiff(_ a: UnsafePointer<Float>, _ row: Int) -> Float {
            (0..<vocab).reduce(0) { max($0, abs(a[$1] - reference.data[row * vocab + $1])) }
        }
        for row in 0..<ours.rows where mask[row] {
            #expect(rowDiff(ours.data + row * vocab, row) < Self.tolerance, "row \(row)")
        }
        // The cached path: a prefill of the unpadded row gives its last position's logits.
        let stack = InferenceStack(.llama(model))
        let state = stack.newSequence(capacity: length)
        let last = stack.step([state], tokens: [Array(ids[0..<length])], requestLength: length)
        #expect(rowDiff(last.data, length - 1) < Self.tolerance)
    }

    @Test func phi3FusedWeightsAndLongRoPEMatchTransformers() throws {
        let golden = try Golden("phi3")
        guard case .llama(let model) = try ModelFolder.load(golden.folder) else { Issue.record("not a Phi-3"); return }
        #expect(model.config.isFused && model.lmHead != nil)
        for case_ in ["short", "long"] {
            let ids = try golden.ids(case_ + "_ids")
            let fp = ForwardPass.inference()
            let logits = try model.logits(ids: ids, batch: 1, fp)
            let diff = maxAbsDiff(fp.tape.value(logits), try golden.tensor(case_ + "_logits"))
            #expect(diff < Self.tolerance, "\(case_) RoPE factors: \(diff)")
        }
    }
}
