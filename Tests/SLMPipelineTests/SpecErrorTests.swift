import Foundation
import Testing

@testable import SLMPipeline

/// Every class of malformed pipeline gives an error located at file:line:column.
@Suite struct SpecErrorTests {
    func only(_ yaml: String) throws -> Diagnostic {
        let found = try diagnostics(of: yaml)
        try #require(found.count == 1, "expected one diagnostic, got \(found)")
        return found[0]
    }

    @Test func yamlSyntaxError() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a:\n    kind: command\n   cmd: [x\n")
        #expect(diagnostic.location?.line == 5)
        #expect(diagnostic.location?.file.hasSuffix("p.yaml") == true)
    }

    @Test func unknownKeySuggestsTheNearest() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: [true]
                otus: [x.txt]
            """)
        #expect(diagnostic.message == "unknown key 'otus' in stage 'a' (kind command)")
        #expect(diagnostic.hint == "did you mean 'outs'?")
        #expect(diagnostic.location?.line == 6)
        #expect(diagnostic.location?.column == 5)
    }

    @Test func unknownTopLevelKey() throws {
        let diagnostic = try only("slmflow: 1\nstage:\n  a: {kind: command, cmd: [true]}\nstages:\n  b: {kind: command, cmd: [true]}\n")
        #expect(diagnostic.hint == "did you mean 'stages'?")
        #expect(diagnostic.location?.line == 2)
    }

    @Test func wrongType() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: "echo hi"
            """)
        #expect(diagnostic.message.contains("'cmd' must be a list of strings, found a scalar"))
        #expect(diagnostic.location?.line == 5)
        #expect(diagnostic.location?.column == 10)
    }

    @Test func wrongScalarType() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: count
                constant: maybe
            """)
        #expect(diagnostic.message.contains("'constant' must be true or false, found 'maybe'"))
        #expect(diagnostic.location?.line == 5)
    }

    @Test func unknownStageKind() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a:\n    kind: comand\n    cmd: [true]\n")
        #expect(diagnostic.message == "unknown stage kind 'comand'")
        #expect(diagnostic.hint == "did you mean 'command'?")
        #expect(diagnostic.location?.line == 4)
        #expect(diagnostic.location?.column == 11)
    }

    @Test func unknownParameterOfAKind() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a:\n    kind: count\n    valeu: 3\n")
        #expect(diagnostic.message == "unknown key 'valeu' in stage 'a' (kind count)")
        #expect(diagnostic.hint == "did you mean 'value'?")
    }

    @Test func missingRequiredParameter() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a:\n    kind: command\n    outs: [x]\n")
        #expect(diagnostic.message.contains("missing 'cmd'"))
        #expect(diagnostic.location?.line == 3)
    }

    @Test func danglingReference() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              tokenize:
                kind: count
              train:
                kind: count
                from: [tokenzie]
            """)
        #expect(diagnostic.message == "stage 'train' refers to 'tokenzie', but there is no stage 'tokenzie'")
        #expect(diagnostic.hint == "did you mean 'tokenize'?")
        #expect(diagnostic.location?.line == 7)
    }

    @Test func bareReferenceToAStageWithSeveralOutputsNeedsAPrimary() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: [true]
                outs: [x.txt, y.txt]
              b:
                kind: count
                from: [a]
            """)
        #expect(diagnostic.message == "stage 'a' has 2 outputs; say which one")
        #expect(diagnostic.hint == "write one of: a.x.txt, a.y.txt")
    }

    @Test func twoStagesWritingOneOut() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: [true]
                outs: [data/x.txt]
              b:
                kind: command
                cmd: [true]
                outs: [./data//x.txt]
            """)
        #expect(diagnostic.message == "stages 'a' and 'b' both write 'data/x.txt'")
        #expect(diagnostic.location?.line == 10)
    }

    @Test func nestedOutsOverlap() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a: {kind: command, cmd: [true], outs: [data]}
              b: {kind: command, cmd: [true], outs: [data/x.txt]}
            """)
        #expect(diagnostic.message.contains("overlaps"))
    }

    @Test func cycleIsPrinted() throws {
        let diagnostic = try only("""
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: [true]
                deps: [c.txt]
                outs: [a.txt]
              b:
                kind: command
                cmd: [true]
                deps: [a.txt]
                outs: [b.txt]
              c:
                kind: command
                cmd: [true]
                deps: [b.txt]
                outs: [c.txt]
            """)
        #expect(diagnostic.message == "the stages form a cycle: c → a → b → c" || diagnostic.message == "the stages form a cycle: a → b → c → a"
            || diagnostic.message == "the stages form a cycle: b → c → a → b")
        #expect(diagnostic.location != nil)
    }

    @Test func unresolvedSubstitution() throws {
        let diagnostic = try only("""
            slmflow: 1
            params: {steps: 10}
            stages:
              a:
                kind: command
                cmd: [echo, "${params.step}"]
            """)
        #expect(diagnostic.message == "unresolved '${params.step}': no param 'step'")
        #expect(diagnostic.hint == "did you mean 'steps'?")
        #expect(diagnostic.location?.line == 6)
    }

    @Test func unsupportedSubstitution() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a:\n    kind: command\n    cmd: [echo, '${HOME}']\n")
        #expect(diagnostic.message == "cannot resolve '${HOME}'")
    }

    @Test func aliasBombIsRefusedQuickly() throws {
        var yaml = "slmflow: 1\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            yaml += "x\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "stages: {a: {kind: command, cmd: [true]}}\n"
        let diagnostic = try only(yaml)
        #expect(diagnostic.message.contains("alias bomb"))
    }

    @Test func hugeFileIsRefused() throws {
        let yaml = "slmflow: 1\n# " + String(repeating: "x", count: 5 << 20) + "\nstages: {a: {kind: command, cmd: [true]}}\n"
        let diagnostic = try only(yaml)
        #expect(diagnostic.message.contains("limited to"))
    }

    @Test func duplicateKeys() throws {
        let diagnostic = try only("slmflow: 1\nstages:\n  a: {kind: command, cmd: [true]}\n  a: {kind: command, cmd: [false]}\n")
        #expect(diagnostic.message == "duplicate key 'a' (first written at line 3)")
        #expect(diagnostic.location?.line == 4)
    }

    @Test func badPaths() throws {
        let absolute = try only("slmflow: 1\nstages:\n  a: {kind: command, cmd: [true], outs: [/etc/passwd]}\n")
        #expect(absolute.message.contains("is absolute"))
        let escaping = try only("slmflow: 1\nstages:\n  a: {kind: command, cmd: [true], outs: [../x]}\n")
        #expect(escaping.message.contains("leaves the workspace"))
    }

    @Test func manyProblemsAreReportedTogether() throws {
        let found = try diagnostics(of: """
            slmflow: 1
            stages:
              a:
                kind: command
                cmd: [true]
                otus: [x]
              b:
                kind: nope
            """)
        #expect(found.count == 2)
    }

    @Test func wrongFormatVersionAndMissingStages() throws {
        let found = try diagnostics(of: "slmflow: 2\nname: x\n")
        #expect(found.map(\.message).contains("unsupported format version '2'"))
        #expect(found.map(\.message).contains("missing 'stages'"))
    }

    @Test func unknownSetOverride() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try sandbox.write("slmflow: 1\nparams: {lr: 0.1}\nstages: {a: {kind: command, cmd: [true]}}\n")
        #expect(throws: PipelineError.self) { try sandbox.load([("lrr", "3")]) }
        let pipeline = try sandbox.load([("lr", "0.5")])
        #expect(pipeline.params["lr"] == .double(0.5))
    }

    @Test func windowsLineEndingsKeepLocationsAndExcerpts() throws {
        let yaml = "slmflow: 1\r\nstages:\r\n  a:\r\n    kind: command\r\n    cmd: [true]\r\n    otus: [x]\r\n"
        let diagnostic = try only(yaml)
        #expect(diagnostic.location?.line == 6)
        let text = PipelineError([diagnostic]).rendered { _ in yaml }
        #expect(text.hasSuffix("\n        otus: [x]\n        ^"))
    }

    @Test func renderedErrorShowsTheLineAndACaret() throws {
        let error = PipelineError([Diagnostic("bad", at: SourceLocation(file: "f.yaml", line: 2, column: 3))])
        let text = error.rendered { _ in "first\nsecond line\n" }
        #expect(text == "f.yaml:2:3: error: bad\n    second line\n      ^")
    }
}
