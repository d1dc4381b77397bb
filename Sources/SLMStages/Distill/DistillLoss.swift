import Foundation
import SLMModels
import SLMTensor

/// The seed's on-policy KD loss for one batch (seed-spec §5.2–5.4):
///
/// * the student samples ĝ from each source (done by the caller, `DistillSampler`), right-padded
///   with the pad id to `D`;
/// * the teacher (decoder-only, frozen) reads [source left-padded to E] ++ ĝ, teacher-forced;
///   its logits at positions E−1 … E+D−2 line up with the student's decoder positions 0 … D−1,
///   whose input is [BOS] ++ ĝ[0..<D−1]: both predict ĝ[0..<D];
/// * both logit tensors are cut to the first V* = `sharedVocabulary` columns before the
///   log-softmax, and L_KD = KL(teacher ‖ student), "batchmean" over all B·D positions
///   (padding included, no temperature), as the seed computes it;
/// * L_CE is the student's teacher-forced cross-entropy on the ground truth (pad ignored);
/// * L = α·L_KD + (1 − α)·L_CE.
struct DistillLoss {
    let student: MuModel
    let teacher: AnyModel
    let sharedVocabulary: Int
    let alpha: Float

    struct Parts {
        var total: Variable
        var kl: Variable
        var ce: Variable
    }

    /// `sources`: the student's source rows (unpadded). `samples`: ĝ per row, each exactly `D`
    /// ids (pad after EOS). `groundTruth`: the encoder–decoder batch of the same rows.
    func callAsFunction(sources: [[Int32]], samples: [[Int32]], groundTruth: TokenBatch, _ fp: ForwardPass) throws -> Parts {
        let t = fp.tape
        let batch = sources.count
        let pad = Int32(student.config.padTokenID), bos = Int32(student.config.bosTokenID)
        let d = samples.first?.count ?? 0
        let e = sources.map(\.count).max() ?? 0

        // Teacher: left-padded sources ++ samples, scored without gradients on its own tape.
        var teacherIDs: [Int32] = []
        for (source, sample) in zip(sources, samples) {
            teacherIDs += Array(repeating: pad, count: e - source.count) + source + sample
        }
        let teacherLogProbs = try Self.alignedTeacherLogProbs(
            teacher, ids: teacherIDs, batch: batch, sourceLength: e, sampleLength: d, vocabulary: sharedVocabulary, pad: pad)

        // Student on its own samples: encoder = right-padded sources, decoder = [BOS] ++ ĝ[..<D−1].
        var studentSource: [Int32] = [], studentInput: [Int32] = []
        for (source, sample) in zip(sources, samples) {
            studentSource += source + Array(repeating: pad, count: e - source.count)
            studentInput += [bos] + sample.dropLast()
        }
        let z = try student.logits(source: studentSource, decoderInput: studentInput, batch: batch, fp)
        let cut = t.value(z).columns == sharedVocabulary ? z : t.sliceColumns(z, 0..<sharedVocabulary)
        let kl = t.klDivergence(teacherLogProbs: t.constant(teacherLogProbs), studentLogProbs: t.logSoftmax(cut))

        let ce = try student.loss(source: groundTruth.source, decoderInput: groundTruth.input, labels: groundTruth.labels,
                                  batch: groundTruth.rows, fp)
        let total = t.add(t.scale(kl, by: alpha), t.scale(ce, by: 1 - alpha))
        return Parts(total: total, kl: kl, ce: ce)
    }

    /// log_softmax(teacher logits[:, :V*]) at rows E−1 … E+D−2 of each sequence: [B·D, V*].
    static func alignedTeacherLogProbs(_ teacher: AnyModel, ids: [Int32], batch: Int, sourceLength e: Int, sampleLength d: Int,
                                       vocabulary: Int, pad: Int32) throws -> Tensor {
        let fp = ForwardPass.inference()
        let logits: Variable
        switch teacher {
        case .decoderOnly(let m): logits = try m.logits(ids: ids, batch: batch, fp)
        case .llama(let m): logits = try m.logits(ids: ids, batch: batch, keyMask: ids.map { $0 != pad }, fp)
        case .mu: throw DistillError("the teacher must be a decoder-only model (llama or decoder), not mu")
        }
        let t = fp.tape
        let cut = t.value(logits).columns == vocabulary ? logits : t.sliceColumns(logits, 0..<vocabulary)
        let full = t.value(t.logSoftmax(cut))
        let length = e + d
        let out = Tensor(uninitialized: [batch * d, vocabulary])
        for b in 0..<batch {
            // Position E−1+j predicts the sample's j-th id.
            (out.data + b * d * vocabulary).update(from: full.data + (b * length + e - 1) * vocabulary, count: d * vocabulary)
        }
        return out
    }
}

/// A distill problem the stage reports with its name.
struct DistillError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
