import Foundation
import SLMCore
import SLMData
import SLMPipeline
import SLMText
import Testing

@testable import SLMStages

/// The kinds run through the Runner in a temporary workspace, removed when the sandbox goes.
final class StageSandbox {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "slm-stages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    var registry: StageKindRegistry {
        var registry = StageKindRegistry.core
        for kind in SLMStages.kinds { registry.register(kind) }
        return registry
    }

    func write(_ text: String, to name: String) throws {
        let path = root + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func run(_ yaml: String, overrides: [(String, String)] = [], jobs: Int? = nil, force: Set<String> = []) throws -> RunReport {
        try write(yaml, to: "p.yaml")
        let pipeline = try PipelineLoader(registry: registry, workspace: root).load(root + "/p.yaml", overrides: overrides)
        var options = RunOptions()
        options.force = force
        if let jobs { options.jobs = jobs }
        return try Runner(pipeline: pipeline, workspace: Workspace(root: root), options: options, observer: nil).run()
    }

    func data(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)) }

    func uint32s(_ relative: String) throws -> [UInt32] {
        let bytes = try data(relative)
        return stride(from: 0, to: bytes.count, by: 4).map { i in
            bytes[i..<(i + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        }
    }

    func uint64s(_ relative: String) throws -> [UInt64] {
        let bytes = try data(relative)
        return stride(from: 0, to: bytes.count, by: 8).map { i in
            bytes[i..<(i + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
    }
}

@Suite struct StageKindTests {
    static let pipeline = """
        slmflow: 1
        name: qa
        stages:
          synth:
            kind: synth-qa
            seed: 3
            records: 300
            filler_sentences: 2
          tok:
            kind: tokenize
            data: synth
            vocab_size: 600
            max_source_length: 64
            max_target_length: 8
        """

    @Test func synthQAFeedsTokenizeAndShardsDecodeBack() throws {
        let sandbox = try StageSandbox()
        let report = try sandbox.run(Self.pipeline)
        #expect(report.stages.allSatisfy { $0.status == .ran }, "\(report.stages.map { ($0.name, $0.status) })")

        let train = try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/qa/synth/data/train.jsonl")
        let validation = try DatasetReaders.textPairs(jsonl: sandbox.root + "/out/qa/synth/data/validation.jsonl")
        #expect(train.count == 240 && validation.count == 30)
        #expect(train[0].source.hasPrefix("Answer the following question based only on the context.\n###Question\n"))

        let tokenizer = try Tokenizer.load(contentsOf: sandbox.root + "/out/qa/tok/tokenizer/tokenizer.json")
        #expect(tokenizer.vocabularySize == 600)
        let eos = try #require(tokenizer.id(of: "<|endoftext|>"))
        let targets = try sandbox.uint32s("out/qa/tok/shards/train.target.bin")
        let offsets = try sandbox.uint64s("out/qa/tok/shards/train.target.idx")
        let sourceOffsets = try sandbox.uint64s("out/qa/tok/shards/train.source.idx")
        #expect(offsets.count == 241 && offsets.first == 0 && offsets.last == UInt64(targets.count))
        for record in 0..<240 {
            let ids = targets[Int(offsets[record])..<Int(offsets[record + 1])].map { Int32(bitPattern: $0) }
            #expect(ids.last == eos, "every target ends with EOS")
            #expect(ids.count <= 8)
            #expect(sourceOffsets[record + 1] - sourceOffsets[record] <= 64, "sources are truncated to 64")
            if ids.count < 8 {
                // add_prefix_space (the default when training): the text was encoded as " " + target.
                #expect(tokenizer.decode(Array(ids.dropLast())) == " " + train[record].target)
            }
        }
        let manifest = try JSONDecoder().decode(JSONValue.self, from: try sandbox.data("out/qa/tok/shards/manifest.json"))
        #expect(manifest.objectValue?["layout"] == "encoder-decoder")
        #expect(manifest.objectValue?["eos_id"] == .int(Int64(eos)))
        #expect(manifest.objectValue?["pad_id"] == 0 && manifest.objectValue?["bos_id"] == 1, "the seed's pad 0 and BOS 1")

        // Unchanged inputs: nothing reruns.
        let again = try sandbox.run(Self.pipeline)
        #expect(again.stages.allSatisfy { $0.status == .cached })
    }

    /// Decoder-only shards of two records with a given tokenizer; `extra` is added to the stage.
    static func tokenizeDecoderOnly(_ sandbox: StageSandbox, extra: String = "") throws -> (tokenizerJSON: String, report: RunReport) {
        let tokenizerJSON = try ByteLevelBPETrainer(vocabSize: 300, specialTokens: ["<|endoftext|>"]).train(["hello there"]).tokenizerJSON()
        try sandbox.write(tokenizerJSON, to: "tok/tokenizer.json")
        try sandbox.write("{\"source\": \"question one\", \"target\": \"yes\"}\n{\"source\": \"q2\", \"target\": \"no way\"}\n", to: "data/train.jsonl")
        let report = try sandbox.run("""
            slmflow: 1
            name: lm
            stages:
              tok:
                kind: tokenize
                data_dir: data
                tokenizer_file: tok/tokenizer.json
                layout: decoder-only
            \(extra)
            """)
        return (tokenizerJSON, report)
    }

    @Test func decoderOnlyShardsCarryALossMaskOverTheTarget() throws {
        let sandbox = try StageSandbox()
        let (tokenizerJSON, report) = try Self.tokenizeDecoderOnly(sandbox)
        #expect(report.stages.first?.status == .ran)
        let tokenizer = try Tokenizer.load(json: tokenizerJSON)
        let tokens = try sandbox.uint32s("out/lm/tok/shards/train.tokens.bin").map { Int32(bitPattern: $0) }
        let mask = [UInt8](try sandbox.data("out/lm/tok/shards/train.mask.bin"))
        let expected = try tokenizer.encode("question one") + tokenizer.encode("yes") + [0] + tokenizer.encode("q2") + tokenizer.encode("no way") + [0]
        #expect(tokens == expected)
        let firstSource = try tokenizer.encode("question one").count, firstTarget = try tokenizer.encode("yes").count + 1
        #expect(Array(mask.prefix(firstSource)) == [UInt8](repeating: 0, count: firstSource))
        #expect(Array(mask[firstSource..<(firstSource + firstTarget)]) == [UInt8](repeating: 1, count: firstTarget))
        #expect(try sandbox.data("out/lm/tok/tokenizer/tokenizer.json") == Data(tokenizerJSON.utf8), "the given tokenizer is passed on as is")
    }

    @Test func sourceLossPutsTheWholeSequenceUnderTheMask() throws {
        let sandbox = try StageSandbox()
        let (_, report) = try Self.tokenizeDecoderOnly(sandbox, extra: "    source_loss: true")
        #expect(report.stages.first?.status == .ran)
        let tokens = try sandbox.uint32s("out/lm/tok/shards/train.tokens.bin")
        let mask = [UInt8](try sandbox.data("out/lm/tok/shards/train.mask.bin"))
        #expect(mask.count == tokens.count && mask.allSatisfy { $0 == 1 })

        // Encoder-decoder shards have no loss mask to widen: refused at load, naming the key.
        try sandbox.write("""
            slmflow: 1
            stages:
              tok:
                kind: tokenize
                data_dir: data
                source_loss: true
            """, to: "p.yaml")
        let error = #expect(throws: PipelineError.self) {
            try PipelineLoader(registry: sandbox.registry, workspace: sandbox.root).load(sandbox.root + "/p.yaml", overrides: [])
        }
        #expect(error.map { "\($0)" }?.contains("source_loss") == true)
    }

    @Test func badParametersAreReportedAtLoad() throws {
        let sandbox = try StageSandbox()
        try sandbox.write("""
            slmflow: 1
            stages:
              tok:
                kind: tokenize
                layout: sideways
            """, to: "p.yaml")
        let error = #expect(throws: PipelineError.self) {
            try PipelineLoader(registry: sandbox.registry, workspace: sandbox.root).load(sandbox.root + "/p.yaml", overrides: [])
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("layout") || text.contains("data"), "\(text)")
    }
}

/// YAML stages several suites share (two-space stage indentation, as their pipelines use).
enum SharedStages {
    /// Decoder-only shards of the `synth` records with the `tok` stage's tokenizer.
    static let decoderShards = """
          tokdec:
            kind: tokenize
            data: synth
            tokenizer: tok.tokenizer
            layout: decoder-only
            max_source_length: 48
            max_target_length: 8

        """

    /// `decoderShards` and a two-step decoder-only baseline sized like the `mu` stage.
    static let sizedBaseline = decoderShards + """
          base:
            kind: train
            architecture: decoder
            same_params_as: mu
            data: tokdec.shards
            steps: 2
            batch_size: 4

        """
}
