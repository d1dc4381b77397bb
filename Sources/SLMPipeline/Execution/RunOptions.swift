import Foundation

public struct RunOptions: Sendable {
    /// Plan only: say what would run and why, change nothing.
    public var dryRun = false
    /// Stages to run even when cached (their dependents still stop early if outputs match).
    public var force: Set<String> = []
    /// Run only this stage and what it depends on.
    public var until: String?
    /// How many independent stages may run at once.
    public var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Refuse instead of waiting when another process runs the same pipeline.
    public var noWait = false
    /// Dry runs: this machine's rates for the stages' estimated times (asked on first use);
    /// without it, estimates carry no times.
    public var machineRate: (@Sendable () -> MachineRate)?

    public init() {}
}
