import SLMCore

/// How two models differ: config keys, parameter counts, metrics, and tensors by name and digest.
public struct ModelDiff: Encodable, Sendable {
    public struct Change: Encodable, Sendable {
        public let key: String
        public let first: String?
        public let second: String?
    }

    public let first: String
    public let second: String
    public let sameContent: Bool
    public let configChanges: [Change]
    public let parameterCounts: [Int]
    public let metricChanges: [Change]
    public let sharedTensors: Int
    public let changedTensors: [String]
    public let onlyInFirst: [String]
    public let onlyInSecond: [String]

    public init(_ a: ModelManifest, _ b: ModelManifest) {
        first = a.reference
        second = b.reference
        sameContent = a.digest == b.digest
        let configA = a.config.objectValue ?? [:], configB = b.config.objectValue ?? [:]
        configChanges = Set(configA.keys).union(configB.keys).sorted().compactMap { key in
            configA[key] == configB[key] ? nil : Change(key: key, first: configA[key]?.canonicalText, second: configB[key]?.canonicalText)
        }
        parameterCounts = [a.parameterCount, b.parameterCount]
        metricChanges = Set(a.metrics.keys).union(b.metrics.keys).sorted().compactMap { key in
            a.metrics[key] == b.metrics[key] ? nil : Change(key: key, first: a.metrics[key].map { "\($0)" }, second: b.metrics[key].map { "\($0)" })
        }
        let tensorsA = Dictionary(a.tensors.map { ($0.name, $0.digest) }, uniquingKeysWith: { x, _ in x })
        let tensorsB = Dictionary(b.tensors.map { ($0.name, $0.digest) }, uniquingKeysWith: { x, _ in x })
        sharedTensors = tensorsA.filter { tensorsB[$0.key] == $0.value }.count
        changedTensors = tensorsA.filter { tensorsB[$0.key] != nil && tensorsB[$0.key] != $0.value }.keys.sorted()
        onlyInFirst = tensorsA.keys.filter { tensorsB[$0] == nil }.sorted()
        onlyInSecond = tensorsB.keys.filter { tensorsA[$0] == nil }.sorted()
    }
}
