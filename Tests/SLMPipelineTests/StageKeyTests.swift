import Testing
import SLMCore
@testable import SLMPipeline

/// `KeyBasis.changes` explains a rerun from what changed, and only from that.
@Suite struct StageKeyTests {
    static func basis(_ parameters: [String: JSONValue], used: [String: JSONValue] = [:]) -> KeyBasis {
        KeyBasis(kind: "train", kindVersion: 1, parameters: parameters, inputs: [:],
                 definition: .object(["kind": .string("train")]), usedParams: used)
    }

    /// A state file stores a default of 1.0 as `1`, which reads back as an integer: that is no
    /// change (it used to be reported as "parameters changed: grad_clip").
    @Test func numbersEqualInValueAreNoChange() {
        let now = Self.basis(["grad_clip": .double(1.0), "lr": .double(0.001)], used: ["kd_lr": .double(0.001)])
        let stored = Self.basis(["grad_clip": .int(1), "lr": .double(0.001)], used: ["kd_lr": .double(0.001)])
        #expect(now.changes(since: stored).isEmpty)
    }

    @Test func realChangesAreNamed() {
        let stored = Self.basis(["grad_clip": .int(1), "steps": .int(400)], used: ["kd_lr": .double(0.001)])
        #expect(Self.basis(["grad_clip": .double(0.5), "steps": .int(400)], used: ["kd_lr": .double(0.001)])
            .changes(since: stored) == ["parameters changed: grad_clip"])
        #expect(Self.basis(["grad_clip": .int(1), "steps": .int(400)], used: ["kd_lr": .double(0.002)])
            .changes(since: stored) == ["param kd_lr: 0.001 → 0.002"])
    }
}
