import SLMCore

/// What a stage's key is computed from, kept in the state file so `status` can say
/// exactly which part changed. Not in the key: the stage's name, mtimes, absolute
/// paths, the host, the executor.
public struct KeyBasis: Codable, Sendable, Equatable {
    public static let salt = "slmflow-stage-key-v1"

    public var kind: String
    public var kindVersion: Int
    /// The parameters the kind runs with, after substitution and defaults.
    public var parameters: [String: JSONValue]
    /// Workspace-relative input path → content digest.
    public var inputs: [String: Digest]
    /// For explanations only: the stage as written, and the pipeline params it used.
    public var definition: JSONValue
    public var usedParams: [String: JSONValue]

    public var key: Digest {
        let preimage: JSONValue = .object([
            "salt": .string(Self.salt),
            "kind": .string(kind),
            "version": .int(Int64(kindVersion)),
            "parameters": .object(parameters),
            "inputs": .object(inputs.mapValues { .string($0.hex) }),
        ])
        return SHA256.hash(preimage.canonicalText)
    }

    /// Equal as JSON: numbers by value (a state file stores a default of 1.0 as `1`, which
    /// reads back as an integer).
    private func sameJSON(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        a?.numbersNormalized == b?.numbersNormalized
    }

    /// Why a stage with this basis must run again when it last ran with `old`.
    public func changes(since old: KeyBasis) -> [String] {
        var reasons: [String] = []
        if kind != old.kind || kindVersion != old.kindVersion {
            reasons.append("kind \(old.kind) v\(old.kindVersion) → \(kind) v\(kindVersion)")
        }
        for name in Set(usedParams.keys).union(old.usedParams.keys).sorted() {
            let now = usedParams[name], before = old.usedParams[name]
            if !sameJSON(now, before) {
                reasons.append("param \(name): \(before?.displayText ?? "(unused)") → \(now?.displayText ?? "(unused)")")
            }
        }
        if !sameJSON(definition, old.definition), case .object(let new) = definition,
           case .object(let previous) = old.definition {
            let fields = Set(new.keys).union(previous.keys).filter { !sameJSON(new[$0], previous[$0]) }.sorted()
            if !fields.isEmpty { reasons.append("definition changed: " + fields.joined(separator: ", ")) }
        } else if reasons.isEmpty {
            let fields = Set(parameters.keys).union(old.parameters.keys)
                .filter { !sameJSON(parameters[$0], old.parameters[$0]) }.sorted()
            if !fields.isEmpty { reasons.append("parameters changed: " + fields.joined(separator: ", ")) }
        }
        for path in Set(inputs.keys).union(old.inputs.keys).sorted() {
            switch (old.inputs[path], inputs[path]) {
            case (nil, _?): reasons.append("new input \(path)")
            case (_?, nil): reasons.append("input \(path) no longer used")
            case (let before?, let now?) where before != now: reasons.append("input \(path) changed")
            default: break
            }
        }
        return reasons
    }
}
