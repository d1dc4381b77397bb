import SLMCore

/// How a stage ended in a run (or would end, in a dry run).
public enum StageStatus: String, Codable, Sendable {
    case ran
    /// Up to date, or its outputs restored from the run cache without running.
    case cached
    /// Not run: an upstream stage failed, or `--until` left it out.
    case skipped
    case failed
    /// Dry run only.
    case wouldRun = "would-run"
    case wouldRestore = "would-restore"
}

public struct StageReport: Codable, Sendable {
    public var name: String
    public var status: StageStatus
    public var key: String?
    public var seconds: Double
    public var reasons: [String]
    /// For failures: what went wrong and where the log is.
    public var error: String?
    public var log: String?
    /// "up to date" or "restored" for cached stages.
    public var detail: String?
    public var peakMemoryKB: Int?
    /// Dry runs: what running the stage would cost, for stages that would run and whose kind can say.
    public var estimate: StageEstimate?

    enum CodingKeys: String, CodingKey {
        case name, status, key, seconds, reasons, error, log, detail, estimate
        case peakMemoryKB = "peak_memory_kb"
    }
}

/// `slmflow run --json` prints one of these: `{"pipeline": …, "stages": [ … ]}`.
public struct RunReport: Codable, Sendable {
    public var pipeline: String
    public var dryRun: Bool
    public var seconds: Double
    public var stages: [StageReport]
    /// Dry runs with estimated times: the rates they divide by.
    public var machine: MachineRate?

    public var succeeded: Bool { !stages.contains { $0.status == .failed } }

    public func count(_ status: StageStatus) -> Int { stages.filter { $0.status == status }.count }

    enum CodingKeys: String, CodingKey {
        case pipeline, stages, seconds, machine
        case dryRun = "dry_run"
    }
}

/// Receives a run's events as they happen (from several threads).
public protocol RunObserver: AnyObject, Sendable {
    func runStarted(_ pipeline: Pipeline, stages: Int, dryRun: Bool)
    func stageStarted(_ stage: String, action: String, reasons: [String])
    func stageProgress(_ stage: String, _ message: String)
    func stageNotice(_ stage: String, _ message: String)
    func stageFinished(_ report: StageReport)
    func runFinished(_ report: RunReport)
    func notice(_ message: String)
}
