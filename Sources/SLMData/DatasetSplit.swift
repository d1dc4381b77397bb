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

/// SplitMix64: a small, fast, well-mixed generator with a documented output sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0), by rejection so there is no modulo bias.
    public mutating func below(_ bound: Int) -> Int {
        let limit = UInt64(bound)
        let threshold = (0 &- limit) % limit
        while true {
            let value = next()
            if value >= threshold { return Int(value % limit) }
        }
    }
}
