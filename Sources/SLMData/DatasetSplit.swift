import SLMCore

/// A deterministic train/validation/test split: records are shuffled by a seeded
/// generator (SplitMix64 + Fisher–Yates), then cut by the fractions. The same records,
/// seed and fractions always give the same split, on every machine.
public struct DatasetSplit<Record> {
    public var train: [Record]
    public var validation: [Record]
    public var test: [Record]

    public init(_ records: [Record], validationFraction: Double, testFraction: Double, seed: UInt64, limit: Int? = nil) throws {
        guard validationFraction >= 0, testFraction >= 0, validationFraction + testFraction < 1 else {
            throw DatasetError("split fractions must be ≥ 0 and leave some training data: validation \(validationFraction), test \(testFraction)")
        }
        var shuffled = records
        var generator = SplitMix64(seed: seed)
        if shuffled.count > 1 {
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                shuffled.swapAt(i, j)
            }
        }
        if let limit, limit >= 0, shuffled.count > limit { shuffled = Array(shuffled.prefix(limit)) }
        let validationCount = Int((Double(shuffled.count) * validationFraction).rounded())
        let testCount = Int((Double(shuffled.count) * testFraction).rounded())
        test = Array(shuffled.prefix(testCount))
        validation = Array(shuffled.dropFirst(testCount).prefix(validationCount))
        train = Array(shuffled.dropFirst(testCount + validationCount))
    }
}
