import Foundation
import SLMData
import SLMPipeline
import Testing

@testable import SLMStages

/// The tokenize stage with the seed's Phi-3.5 tokenizer reproduces the seed's samples
/// (seed-spec §2 test vectors, §3.2 target construction).
@Suite struct SeedConformanceTests {
    static var phi35: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.path + "/../shared/fixtures/phi35-tokenizer.json"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    @Test func seedValidationLineBecomesTheSeedIds() throws {
        guard let phi35 = Self.phi35 else {
            print("skipping the seed conformance test: ../shared/fixtures/phi35-tokenizer.json is absent")
            return
        }
        let sandbox = try StageSandbox()
        try FileManager.default.createDirectory(atPath: sandbox.root + "/tok", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: phi35, toPath: sandbox.root + "/tok/tokenizer.json")
        let source = try QAPromptTemplate().render(question: "What is the capital of the United States?",
                                                   context: "Washington, D.C. is the capital of the United States.")
        let line = try String(decoding: JSONEncoder().encode(TextPair(source: source, target: "Washington, D.C.")), as: UTF8.self)
        try sandbox.write(line + "\n", to: "data/train.jsonl")
        let report = try sandbox.run("""
            slmflow: 1
            name: seed
            stages:
              tok: {kind: tokenize, data_dir: data, tokenizer_file: tok/tokenizer.json, max_source_length: 1024, max_target_length: 256}
            """)
        #expect(report.stages.first?.status == .ran, "\(report.stages.first?.error ?? "")")
        let sourceIds = try sandbox.uint32s("out/seed/tok/shards/train.source.bin")
        #expect(sourceIds == [673, 278, 1494, 1139, 2729, 871, 373, 278, 3030, 29889, 13, 2277, 29937, 16492, 13, 5618, 338, 278, 7483,
                              310, 278, 3303, 3900, 29973, 13, 2277, 29937, 2677, 13, 29956, 7321, 29892, 360, 29889, 29907, 29889, 338,
                              278, 7483, 310, 278, 3303, 3900, 29889, 13, 2277, 29937, 22550, 13])
        #expect(try sandbox.uint32s("out/seed/tok/shards/train.target.bin") == [7660, 29892, 360, 29889, 29907, 29889, 32000])
        let manifest = String(decoding: try sandbox.data("out/seed/tok/shards/manifest.json"), as: UTF8.self)
        #expect(manifest.contains("\"eos_id\":32000"))
        #expect(manifest.contains("\"pad_id\":0"), "no <pad> in Phi-3.5: pad falls back to <unk> = 0, as the seed pads")
        #expect(manifest.contains("\"bos_id\":1"))
    }
}
