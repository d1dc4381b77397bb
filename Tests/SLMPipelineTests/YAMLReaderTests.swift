import Testing

@testable import SLMPipeline

@Suite struct YAMLReaderTests {
    @Test func scalarsFollowTheCoreSchema() {
        #expect(YAMLScalar.resolve("3", plain: true) == .int(3))
        #expect(YAMLScalar.resolve("-12", plain: true) == .int(-12))
        #expect(YAMLScalar.resolve("0x1f", plain: true) == .int(31))
        #expect(YAMLScalar.resolve("3e-4", plain: true) == .double(3e-4))
        #expect(YAMLScalar.resolve("1.5", plain: true) == .double(1.5))
        #expect(YAMLScalar.resolve(".5", plain: true) == .double(0.5))
        #expect(YAMLScalar.resolve("true", plain: true) == .bool(true))
        #expect(YAMLScalar.resolve("~", plain: true) == .null)
        #expect(YAMLScalar.resolve("3", plain: false) == .string("3"))
        #expect(YAMLScalar.resolve("1e", plain: true) == .string("1e"))
        #expect(YAMLScalar.resolve("yes", plain: true) == .string("yes"), "YAML 1.2: yes is a string")
        #expect(YAMLScalar.resolve("1.2.3", plain: true) == .string("1.2.3"))
    }

    @Test func nodesCarryTheirLocations() throws {
        let root = try YAMLReader().read("a: 1\nlist:\n  - x\n  - {k: v}\n", file: "t.yaml")
        let list = try #require(root["list"]?.sequence)
        #expect(list[0].location == SourceLocation(file: "t.yaml", line: 3, column: 5))
        #expect(list[1]["k"]?.location.line == 4)
        #expect(root["a"]?.location.column == 4)
    }

    @Test func aliasesExpandWithinBudget() throws {
        let root = try YAMLReader().read("base: &b {lr: 1}\nother: *b\n", file: "t.yaml")
        #expect(root["other"]?["lr"]?.scalarText == "1")
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLReader.Failure.self) { try YAMLReader().read("a: *nothing\n", file: "t.yaml") }
    }

    @Test func multipleDocumentsAreRefused() {
        #expect(throws: YAMLReader.Failure.self) { try YAMLReader().read("a: 1\n---\nb: 2\n", file: "t.yaml") }
    }

    @Test func deepNestingIsRefused() {
        let yaml = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: YAMLReader.Failure.self) { try YAMLReader().read(yaml, file: "t.yaml") }
    }
}
