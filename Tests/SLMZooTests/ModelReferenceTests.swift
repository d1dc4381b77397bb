import Testing
@testable import SLMZoo

@Suite struct ModelReferenceTests {
    @Test func plainNamesGetTheLatestTag() throws {
        let reference = try ModelReference.parse("mu-text")
        #expect(reference.name == "mu-text" && reference.tag == "latest" && reference.digestPrefix == nil)
        #expect(reference.description == "mu-text:latest")
    }

    @Test func tagsOrganisationsAndDigests() throws {
        let tagged = try ModelReference.parse("HuggingFaceTB/SmolLM2-135M:q4_1")
        #expect(tagged.name == "HuggingFaceTB/SmolLM2-135M" && tagged.tag == "q4_1")
        let hex = String(repeating: "Ab", count: 32)
        let pinned = try ModelReference.parse("mu@sha256:" + hex)
        #expect(pinned.name == "mu" && pinned.digestPrefix == hex.lowercased())
        let both = try ModelReference.parse("mu:v2@sha256:0123abcd")
        #expect(both.tag == "v2" && both.digestPrefix == "0123abcd")
        #expect(try ModelReference.parse("a.b_c-1:1.0").tag == "1.0")
    }

    @Test(arguments: [
        "", ":", "name:", ":tag", "a::b", "../etc", "a/../b", "/abs", "a//b", "a/", ".hidden", "-dash", "a:b:c",
        "name tag", "naïve", "a:.x", "mu@", "mu@sha256:", "mu@sha256:xyz12345", "mu@sha256:1234567", "mu@md5:12345678",
        "mu@sha256:" + String(repeating: "a", count: 65), String(repeating: "n", count: 201), "a:" + String(repeating: "t", count: 129),
        "tab\tname", "a\u{0}b",
    ])
    func oddInputsAreRefusedWithAReason(_ text: String) {
        #expect(throws: ZooError.self) { try ModelReference.parse(text) }
    }

    @Test func errorsSayWhatWasExpected() {
        do {
            _ = try ModelReference.parse("mu@sha256:xyz")
            Issue.record("accepted a bad digest")
        } catch {
            #expect("\(error)".contains("hex digits"))
        }
    }
}
