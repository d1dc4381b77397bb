import Foundation
import SLMCore

/// What running a stage would cost, as a kind forecasts it for `run --dry-run` and `status`
/// (docs/pipelines.md, "Estimates"). Plain numbers: the pipeline core knows nothing of
/// models; the kinds that do (train, distill, evaluate) fill these in.
public struct StageEstimate: Codable, Sendable, Equatable {
    /// Parameters of the model the stage trains or runs (for several models: their sum).
    public var parameterCount: Int?
    /// Floating-point operations (a multiply–add counts 2).
    public var flops: Double?
    /// Peak resident memory, bytes.
    public var peakMemoryBytes: Double?
    /// Wall time on this machine, seconds (see `MachineRate`).
    public var seconds: Double?
    /// Bytes to download.
    public var downloadBytes: Double?
    /// What the figures assume ("lengths at the tokenize limits", "teacher unknown until pulled").
    public var notes: [String]
    /// Facts for the estimates of downstream stages (a model's config.json fields, a
    /// tokenizer's vocabulary size); not reported.
    public var facts: [String: JSONValue]

    public init(parameterCount: Int? = nil, flops: Double? = nil, peakMemoryBytes: Double? = nil, seconds: Double? = nil,
                downloadBytes: Double? = nil, notes: [String] = [], facts: [String: JSONValue] = [:]) {
        self.parameterCount = parameterCount
        self.flops = flops
        self.peakMemoryBytes = peakMemoryBytes
        self.seconds = seconds
        self.downloadBytes = downloadBytes
        self.notes = notes
        self.facts = facts
    }

    /// True when there is a figure to show (an estimate may carry only facts).
    public var hasFigures: Bool {
        parameterCount != nil || flops != nil || peakMemoryBytes != nil || seconds != nil || downloadBytes != nil
    }

    enum CodingKeys: String, CodingKey {
        case parameterCount = "parameter_count", flops, peakMemoryBytes = "peak_memory_bytes", seconds
        case downloadBytes = "download_bytes", notes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            parameterCount: try c.decodeIfPresent(Int.self, forKey: .parameterCount), flops: try c.decodeIfPresent(Double.self, forKey: .flops),
            peakMemoryBytes: try c.decodeIfPresent(Double.self, forKey: .peakMemoryBytes), seconds: try c.decodeIfPresent(Double.self, forKey: .seconds),
            downloadBytes: try c.decodeIfPresent(Double.self, forKey: .downloadBytes), notes: try c.decodeIfPresent([String].self, forKey: .notes) ?? [])
    }
}

/// The rates of this machine that estimated times divide by.
public struct MachineRate: Codable, Sendable, Equatable {
    /// Dense fp32 matrix products (cblas_sgemm), GFLOP/s.
    public var sgemmGflops: Double
    /// Memory reads, GB/s: token-by-token decoding is bound by reading the weights.
    public var memoryGBps: Double
    /// Where the figures come from, for people ("sgemm measured now …; memory calibrated …").
    public var source: String

    public init(sgemmGflops: Double, memoryGBps: Double, source: String) {
        self.sgemmGflops = sgemmGflops
        self.memoryGBps = memoryGBps
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case sgemmGflops = "sgemm_gflop_per_s", memoryGBps = "memory_gb_per_s", source
    }
}

/// A stage another stage's parameter names, as its estimate sees it.
public struct UpstreamStage: Sendable {
    public let name: String
    public let kind: String
    public let parameters: [String: JSONValue]
    /// Its estimate (facts included), when its kind gives one.
    public let estimate: StageEstimate?
    /// Absolute path of the output the parameter names (it may not exist yet).
    public let path: String
}

/// What a kind's `estimate` gets: the stage's resolved parameters, where its inputs and
/// outputs are (they may not exist yet), the stages upstream with their estimates, and this
/// machine's rates.
public struct EstimateContext: Sendable {
    public let pipeline: String
    public let stage: String
    public let workspace: String
    public let parameters: [String: JSONValue]
    /// For every `inputPath`/`stageOutput` parameter, the absolute paths it names.
    public let inputs: [String: [String]]
    /// For every output name, its absolute path.
    public let outputs: [String: String]
    /// For every `stageOutput`/`inputPath` parameter that names other stages' outputs, those stages.
    public let upstream: [String: [UpstreamStage]]
    private let rate: @Sendable () -> MachineRate?

    public init(pipeline: String, stage: String, workspace: String, parameters: [String: JSONValue], inputs: [String: [String]],
                outputs: [String: String], upstream: [String: [UpstreamStage]], machine: @escaping @Sendable () -> MachineRate?) {
        self.pipeline = pipeline
        self.stage = stage
        self.workspace = workspace
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
        self.upstream = upstream
        rate = machine
    }

    /// This machine's rates (measured on first use by the caller's provider); nil when the
    /// caller gave none, and then estimates carry no times.
    public var machine: MachineRate? { rate() }
}
