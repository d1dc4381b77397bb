import Foundation
import SLMCore
import SLMModels
import SLMPipeline
import SLMTensor
import SLMZoo
import Testing

@testable import SLMStages

/// `kind: distill`: the pipeline end to end, the tokenizer check and the loss's alignment.
@Suite struct DistillStageTests {
    static let pipeline = """
        slmflow: 1
        name: kd
        stages:
          synth:
            kind: synth-qa
            seed: 3
            records: 96
            filler_sentences: 1
          tok:
            kind: tokenize
            data: synth
            vocab_size: 300
            max_source_length: 40
            max_target_length: 6
          tokdec:
            kind: tokenize
            data: synth
            tokenizer: tok.tokenizer
            layout: decoder-only
            max_source_length: 40
            max_target_length: 6
          teacher:
            kind: train
            architecture: llama
            data: tokdec.shards
            steps: 3
            batch_size: 4
          mu:
            kind: train
            architecture: mu
            data: tok.shards
            steps: 3
            batch_size: 4
          kd:
            kind: distill
            student: mu
            teacher: teacher
            data: tok.shards
            steps: 4
            batch_size: 4
            top_k: 16
            checkpoint_interval: 2
            seed: 5
        """

    @Test func distillRunsAndRegistersLineage() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline)
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status, $0.error ?? "") })")
        let folder = sandbox.root + "/out/kd/kd/model"
        guard case .mu = try ModelFolder.load(folder) else { Issue.record("the distilled model is not a Mu"); return }
        #expect(FileManager.default.fileExists(atPath: folder + "/tokenizer.json"))

        let store = ZooStore(workspaceRoot: sandbox.root)
        let kd = try store.resolve("kd-kd"), mu = try store.resolve("kd-mu"), teacher = try store.resolve("kd-teacher")
        #expect(kd.architecture == "mu")
        #expect(kd.lineage.contains { $0.relation == .initialization && $0.digest == mu.digest })
        #expect(kd.lineage.contains { $0.relation == .teacher && $0.digest == teacher.digest })
        #expect(kd.lineage.contains { $0.relation == .data })
        for metric in ["final_train_loss", "final_kl_loss", "final_ce_loss", "tokens_per_second"] {
            #expect(kd.metrics[metric]?.isFinite == true, "\(metric)")
        }
        // Rerun: everything is cached.
        let again = try sandbox.run(Self.pipeline)
        #expect(again.stages.allSatisfy { $0.status == .cached })
    }

    @Test func anEncoderDecoderTeacherIsAnErrorNamingTheStageAndKey() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline.replacingOccurrences(of: "teacher: teacher", with: "teacher: mu"))
        let kd = report.stages.first { $0.name == "kd" }
        #expect(kd?.status == .failed)
        let message = kd?.error ?? ""
        #expect(message.contains("stage 'kd' (key ") && message.contains("'teacher'") && message.contains("decoder-only"), "\(message)")
    }

    @Test func differentTokenizersAreAClearError() throws {
        let root = NSTemporaryDirectory() + "slm-distill-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        func tokenizer(_ folder: String, _ vocab: [String: Int]) throws {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            let json = JSONValue.object(["model": .object(["type": "BPE", "vocab": .object(vocab.mapValues { .int(Int64($0)) })])])
            try json.canonicalText.write(toFile: root + "/" + folder + "/tokenizer.json", atomically: true, encoding: .utf8)
        }
        try tokenizer("student", ["a": 0, "b": 1, "c": 2])
        try tokenizer("prefix", ["a": 0, "b": 1, "c": 2, "d": 3])
        try tokenizer("other", ["a": 0, "c": 1, "b": 2])
        let s = root + "/student"
        // A shared prefix is accepted, and the loss keeps V* = min of the model vocabularies.
        #expect(try TokenizerCompatibility.sharedVocabulary(student: s, studentVocab: 3, teacher: root + "/prefix", teacherVocab: 4) == 3)
        #expect(try TokenizerCompatibility.sharedVocabulary(student: s, studentVocab: 3, teacher: s, teacherVocab: 3) == 3)
        do {
            _ = try TokenizerCompatibility.sharedVocabulary(student: s, studentVocab: 3, teacher: root + "/other", teacherVocab: 3)
            Issue.record("different tokenizers were accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(root + "/other/tokenizer.json") && message.contains(root + "/student/tokenizer.json"), "\(message)")
            #expect(message.contains("id 1"), "\(message)")
        }
    }

    /// The stage's KL part against a direct computation that indexes the teacher's rows itself
    /// (E−1+t for student position t), with different vocabularies so the cut to V* matters.
    @Test func klPartMatchesADirectComputationOnAlignedPositions() throws {
        let student = MuModel(config: MuConfig(encoderLayers: 1, decoderLayers: 1, width: 16, qkvWidth: 16, heads: 2, kvHeads: 1,
                                               mlpWidth: 32, vocabSize: 20), seed: 1)
        let teacher = LlamaModel(config: LlamaConfig(layers: 1, hidden: 16, intermediate: 32, heads: 2, kvHeads: 1, vocabSize: 24,
                                                     tied: true), seed: 2)
        let sources: [[Int32]] = [[5, 6, 7, 8], [9, 10]]
        let samples: [[Int32]] = [[11, 12, 2], [13, 2, 0]]
        let truth = TokenBatch.encoderDecoder(.init(sources: sources, targets: [[3, 4], [5, 2]]), rows: [0, 1], pad: 0, start: 1)
        let kd = DistillLoss(student: student, teacher: .llama(teacher), sharedVocabulary: 20, alpha: 1)
        let fp = ForwardPass.inference()
        let parts = try kd(sources: sources, samples: samples, groundTruth: truth, fp)
        let stageKL = Double(fp.tape.value(parts.kl)[0])
        #expect(abs(Double(fp.tape.value(parts.total)[0]) - stageKL) < 1e-6)

        // Direct: teacher on [left-padded source] ++ sample, student on [BOS] ++ sample[..<D−1].
        let e = 4, d = 3
        let teacherIDs: [Int32] = [5, 6, 7, 8, 11, 12, 2] + [0, 0, 9, 10, 13, 2, 0]
        let tfp = ForwardPass.inference()
        let tz = tfp.tape.value(try teacher.logits(ids: teacherIDs, batch: 2, keyMask: teacherIDs.map { $0 != 0 }, tfp))
        let sfp = ForwardPass.inference()
        let sz = sfp.tape.value(try student.logits(source: [5, 6, 7, 8, 9, 10, 0, 0], decoderInput: [1, 11, 12, 1, 13, 2], batch: 2, sfp))
        func logSoftmax(_ t: Tensor, row: Int, columns: Int) -> [Double] {
            let x = (0..<20).map { Double(t.data[row * columns + $0]) }
            let m = x.max() ?? 0
            let z = log(x.reduce(0) { $0 + exp($1 - m) }) + m
            return x.map { $0 - z }
        }
        var total = 0.0
        for b in 0..<2 {
            for t in 0..<d {
                let lt = logSoftmax(tz, row: b * (e + d) + e - 1 + t, columns: 24)
                let ls = logSoftmax(sz, row: b * d + t, columns: 20)
                total += zip(lt, ls).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
            }
        }
        let direct = total / Double(2 * d)
        #expect(abs(stageKL - direct) < 1e-4 * max(1, direct), "stage \(stageKL) vs direct \(direct)")

        // α = 0 leaves the ground-truth cross-entropy alone.
        let ceOnly = DistillLoss(student: student, teacher: .llama(teacher), sharedVocabulary: 20, alpha: 0)
        let fp0 = ForwardPass.inference()
        let p0 = try ceOnly(sources: sources, samples: samples, groundTruth: truth, fp0)
        let cfp = ForwardPass.inference()
        let ce = try student.loss(source: truth.source, decoderInput: truth.input, labels: truth.labels, batch: 2, cfp)
        #expect(abs(Double(fp0.tape.value(p0.total)[0]) - Double(cfp.tape.value(ce)[0])) < 1e-6)
    }
}
