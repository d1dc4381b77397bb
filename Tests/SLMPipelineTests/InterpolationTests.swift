import SLMCore
import Testing

@testable import SLMPipeline

@Suite struct InterpolationTests {
    let here = SourceLocation(file: "p.yaml", line: 1, column: 1)

    func substitute(_ text: String) throws -> JSONValue {
        var interpolator = Interpolator(params: ["steps": 10, "lr": 0.5, "name": "mu"])
        return try interpolator.substitute(text, at: here).get()
    }

    @Test func aWholeReferenceKeepsItsType() throws {
        #expect(try substitute("${params.steps}") == .int(10))
        #expect(try substitute("${ params.lr }") == .double(0.5))
    }

    @Test func referencesInsideTextAreSplicedIn() throws {
        #expect(try substitute("train ${params.name} for ${params.steps} steps") == .string("train mu for 10 steps"))
        #expect(try substitute("${params.name}${params.steps}") == .string("mu10"))
        #expect(try substitute("no references") == .string("no references"))
    }

    @Test func dollarDollarIsALiteral() throws {
        #expect(try substitute("echo $${HOME} ${params.name}") == .string("echo ${HOME} mu"))
        #expect(try substitute("$${params.steps}") == .string("${params.steps}"))
    }

    @Test func usedParamsAreRecorded() throws {
        var interpolator = Interpolator(params: ["a": 1, "b": 2])
        _ = interpolator.substitute("${params.a}", at: here)
        #expect(interpolator.used == ["a": 1])
    }

    @Test func unterminatedReferenceIsAnError() {
        #expect(throws: PipelineError.self) { try substitute("${params.steps") }
    }
}
