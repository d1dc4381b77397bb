import Testing
@testable import SLMModels
import SLMTensor

/// The cached inference path's logits against the tape's on prompts long enough that the
/// encoder and the prefill split their rows over the workers and attention spans several
/// query blocks (the token-level tests in GenerationTests use short prompts).
@Suite struct InferenceStackTests {
    static let prompt: [Int32] = (0..<150).map { (i: Int) -> Int32 in Int32(3 + (i * 7 + i / 5) % 60) }

    static func maxRelativeDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var diff: Float = 0, scale: Float = 1e-6
        for i in 0..<count {
            diff = max(diff, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return diff / scale
    }

    @Test(arguments: [33, 150])
    func muFirstStepLogitsEqualTheTape(length: Int) throws {
        let model = MuModel(config: MuConfig(encoderLayers: 2, decoderLayers: 2, width: 32, qkvWidth: 32, heads: 4,
                                             kvHeads: 2, mlpWidth: 48, vocabSize: 64), seed: 3)
        sharpen(model, by: 6)
        let source = Array(Self.prompt.prefix(length))
        let bos = Int32(model.config.bosTokenID)
        let fp = ForwardPass.inference()
        let expected = fp.tape.value(try model.logits(source: source, decoderInput: [bos], batch: 1, fp))

        let stack = InferenceStack(.mu(model))
        let state = stack.newSequence(capacity: 4)
        stack.encode(source: source, into: state)
        let logits = stack.step([state], tokens: [[bos]], requestLength: 4)
        #expect(Self.maxRelativeDifference(logits.data, expected.data, count: expected.count) < 1e-5)
    }

    @Test(arguments: [33, 150])
    func prefillLogitsEqualTheTape(length: Int) throws {
        let mu = MuConfig(encoderLayers: 2, decoderLayers: 2, width: 32, qkvWidth: 32, heads: 4, kvHeads: 2,
                          mlpWidth: 48, vocabSize: 64)
        let model = DecoderOnlyModel(config: DecoderOnlyConfig.matching(mu), seed: 4)
        sharpen(model, by: 6)
        let ids = Array(Self.prompt.prefix(length))
        let fp = ForwardPass.inference()
        let expected = fp.tape.value(try model.logits(ids: ids, batch: 1, fp))
        let lastRow = expected.data + (expected.rows - 1) * expected.columns

        let stack = InferenceStack(.decoderOnly(model))
        let state = stack.newSequence(capacity: length)
        let logits = stack.step([state], tokens: [ids], requestLength: length)
        #expect(Self.maxRelativeDifference(logits.data, lastRow, count: expected.columns) < 1e-5)
    }
}
