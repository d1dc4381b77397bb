import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a pipeline: each stage, once its upstream stages are done, is up to date, restored
/// from the run cache, or run; independent stages run in parallel up to `jobs`. A failure
/// skips its dependents and lets everything else finish.
///
/// Every durable write (blobs, run records, the state file) is atomic, and the state file
/// is rewritten after every stage, so a kill at any moment loses at most the stage in flight.
public final class Runner: @unchecked Sendable {
    let pipeline: Pipeline
    let workspace: Workspace
    let options: RunOptions
    let observer: RunObserver?
    let artifacts: ArtifactStore
    let runCache: RunCache
    let statePath: String

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var state: PipelineState
    private var results: [String: StageResult] = [:]
    private var running = 0
    /// Dry runs: every stage's estimate (facts for downstream estimates), by stage name.
    private var estimates: [String: StageEstimate] = [:]
    private let machineRate: Memoized<MachineRate?>

    struct StageResult {
        var report: StageReport
        /// Output path → artifact, for downstream keys (nil when unknown: a dry run's "would run").
        var outputs: [String: Artifact]?
    }

    public init(pipeline: Pipeline, workspace: Workspace, options: RunOptions, observer: RunObserver?) throws {
        self.pipeline = pipeline
        self.workspace = workspace
        self.options = options
        self.observer = observer
        artifacts = ArtifactStore(blobs: workspace.blobs, statCache: StatCache(path: workspace.statCachePath))
        runCache = workspace.runCache
        statePath = PipelineState.path(forPipeline: pipeline.absoluteFile)
        state = PipelineState(pipeline: pipeline.name)
        let provider = options.machineRate
        machineRate = Memoized { provider?() }
        for name in options.force.union(options.until.map { [$0] } ?? []) where pipeline.stage(named: name) == nil {
            let names = pipeline.stages.map(\.name)
            throw PipelineError(
                "no stage '\(name)' in \(pipeline.file)",
                hint: suggestion(for: name, in: names) ?? "stages: " + names.joined(separator: ", "))
        }
    }

    /// The lock that keeps two processes from running one pipeline at once.
    public static func runLockPath(forPipeline absoluteFile: String) -> String {
        let url = URL(fileURLWithPath: absoluteFile)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".lck"
    }

    public func run() throws -> RunReport {
        let started = Date()
        let runLock = FileLock(path: Self.runLockPath(forPipeline: pipeline.absoluteFile))
        let cacheLock = FileLock(path: workspace.cacheLockPath)
        if !options.dryRun {
            try workspace.prepare()
            try takeRunLock(runLock)
            try cacheLock.lock(.shared)
        }
        // Read under the lock: another process may have finished stages while we waited.
        state = try PipelineState.load(statePath, pipeline: pipeline.name)
        defer {
            cacheLock.unlock()
            runLock.unlock()
        }

        let selected = options.until.map { pipeline.ancestors(ofAndIncluding: $0) } ?? Set(pipeline.stages.map(\.name))
        observer?.runStarted(pipeline, stages: selected.count, dryRun: options.dryRun)
        schedule(selected)
        if !options.dryRun { artifacts.statCache.save() }

        let reports = pipeline.stages.map { stage in
            results[stage.name]?.report
                ?? StageReport(name: stage.name, status: .skipped, key: nil, seconds: 0, reasons: ["not needed for --until \(options.until ?? "")"])
        }
        var report = RunReport(pipeline: pipeline.name, dryRun: options.dryRun, seconds: Date().timeIntervalSince(started), stages: reports)
        if reports.contains(where: { $0.estimate?.seconds != nil }) { report.machine = machineRate.computed ?? nil }
        observer?.runFinished(report)
        return report
    }

    private func takeRunLock(_ lock: FileLock) throws {
        let me = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))"
        if try lock.tryLock(.exclusive, owner: me) { return }
        let holder = lock.ownerDescription() ?? "another process"
        if options.noWait {
            throw PipelineError("\(pipeline.file) is being run by \(holder); not waiting (--no-wait)")
        }
        observer?.notice("waiting: \(pipeline.file) is being run by \(holder)")
        try lock.lock(.exclusive, owner: me)
    }

    // MARK: - scheduling

    private func schedule(_ selected: Set<String>) {
        let stages = pipeline.stages.filter { selected.contains($0.name) }
        let jobs = options.dryRun ? 1 : max(1, options.jobs)
        var started = Set<String>()
        condition.lock()
        while results.count < stages.count {
            var launched = false
            for stage in stages where !started.contains(stage.name) {
                let upstream = stage.upstream.compactMap { results[$0] }
                guard upstream.count == stage.upstream.count else { continue }
                if let blocked = upstream.first(where: { $0.report.status == .failed || $0.report.status == .skipped }) {
                    started.insert(stage.name)
                    let why = blocked.report.status == .failed ? "failed" : "was skipped"
                    let report = StageReport(
                        name: stage.name, status: .skipped, key: nil, seconds: 0, reasons: ["upstream '\(blocked.report.name)' \(why)"])
                    results[stage.name] = StageResult(report: report, outputs: nil)
                    observer?.stageFinished(report)
                    launched = true
                    continue
                }
                guard running < jobs else { break }
                started.insert(stage.name)
                running += 1
                launched = true
                let inputs = Dictionary(uniqueKeysWithValues: stage.upstream.map { ($0, results[$0]!) })
                if options.dryRun {
                    condition.unlock()
                    let result = plan(stage, upstream: inputs)
                    condition.lock()
                    results[stage.name] = result
                    running -= 1
                } else {
                    Thread.detachNewThread { [self] in
                        let result = execute(stage, upstream: inputs)
                        condition.lock()
                        results[stage.name] = result
                        running -= 1
                        condition.broadcast()
                        condition.unlock()
                    }
                }
            }
            if !launched && results.count < stages.count { condition.wait() }
        }
        condition.unlock()
    }

    // MARK: - one stage

    /// Where a stage stands before anything is done about it.
    enum Verdict {
        case upToDate(KeyBasis, Digest, [OutputRecord])
        case restorable(KeyBasis, Digest, RunRecord, reasons: [String])
        case mustRun(KeyBasis, Digest, reasons: [String])
        /// Dry run: an upstream stage will run, so this stage's inputs are not known yet.
        case waitsForUpstream([String])
    }

    func assess(_ stage: Stage, upstream: [String: StageResult]) throws -> Verdict {
        var inputs: [String: Digest] = [:]
        var pendingUpstream: [String] = []
        for input in stage.inputs {
            if let producer = input.producer, let result = upstream[producer] {
                guard let outputs = result.outputs else {
                    pendingUpstream.append(producer)
                    continue
                }
                if let artifact = outputs[input.path] {
                    inputs[input.path] = artifact.digest
                    continue
                }
            }
            guard let artifact = try artifacts.hash(workspace.absolute(input.path)) else {
                let hint = input.producer == nil ? " and no stage writes it" : ""
                throw StageFailure("dependency '\(input.path)' does not exist\(hint) (\(input.location))")
            }
            inputs[input.path] = artifact.digest
        }
        if !pendingUpstream.isEmpty {
            // Its own changes (params, definition) are known already; its inputs are not.
            condition.lock()
            let previous = state.stages[stage.name]
            condition.unlock()
            var reasons: [String] = []
            if let previous {
                let provisional = KeyBasis(
                    kind: stage.kind.name, kindVersion: stage.kind.version, parameters: stage.parameters,
                    inputs: previous.basis.inputs, definition: stage.definition, usedParams: stage.usedParams)
                reasons = provisional.changes(since: previous.basis)
            }
            return .waitsForUpstream(reasons + Set(pendingUpstream).sorted().map { "upstream '\($0)' will run" })
        }
        let basis = KeyBasis(
            kind: stage.kind.name, kindVersion: stage.kind.version, parameters: stage.parameters, inputs: inputs,
            definition: stage.definition, usedParams: stage.usedParams)
        let key = basis.key

        condition.lock()
        let previous = state.stages[stage.name]
        condition.unlock()

        var reasons: [String] = []
        if options.force.contains(stage.name) {
            return .mustRun(basis, key, reasons: ["forced (--force \(stage.name))"])
        }
        if let previous, previous.key == key {
            let damaged = try damagedOutputs(previous.outputs)
            if damaged.isEmpty { return .upToDate(basis, key, previous.outputs) }
            reasons = damaged
        } else if let previous {
            reasons = basis.changes(since: previous.basis)
            if reasons.isEmpty { reasons = ["stage key changed"] }
        } else {
            reasons = ["never ran"]
        }
        if let failure = previous?.failure, failure.key == key {
            reasons.append("last run failed: \(failure.message)")
        }
        if let record = runCache.record(for: key), record.outputs.allSatisfy({ artifacts.isComplete($0.artifact) }) {
            return .restorable(basis, key, record, reasons: reasons)
        }
        return .mustRun(basis, key, reasons: reasons)
    }

    /// "output x missing" / "output x modified" for outputs that differ from the record.
    func damagedOutputs(_ outputs: [OutputRecord]) throws -> [String] {
        var damaged: [String] = []
        for output in outputs {
            let now = try? artifacts.hash(workspace.absolute(output.path))
            if now == nil {
                damaged.append("output \(output.path) missing")
            } else if now?.digest != output.artifact.digest {
                damaged.append("output \(output.path) modified")
            }
        }
        return damaged
    }

    /// Dry run: what would happen, touching nothing.
    func plan(_ stage: Stage, upstream: [String: StageResult]) -> StageResult {
        var report: StageReport
        var outputs: [String: Artifact]?
        do {
            switch try assess(stage, upstream: upstream) {
            case .upToDate(_, let key, let records):
                report = StageReport(name: stage.name, status: .cached, key: key.hex, seconds: 0, reasons: [], detail: "up to date")
                outputs = Dictionary(uniqueKeysWithValues: records.map { ($0.path, $0.artifact) })
            case .restorable(_, let key, let record, let reasons):
                report = StageReport(name: stage.name, status: .wouldRestore, key: key.hex, seconds: 0, reasons: reasons)
                outputs = Dictionary(uniqueKeysWithValues: record.outputs.map { ($0.path, $0.artifact) })
            case .mustRun(_, let key, let reasons):
                report = StageReport(name: stage.name, status: .wouldRun, key: key.hex, seconds: 0, reasons: reasons)
            case .waitsForUpstream(let reasons):
                report = StageReport(name: stage.name, status: .wouldRun, key: nil, seconds: 0, reasons: reasons)
            }
        } catch {
            report = StageReport(name: stage.name, status: .failed, key: nil, seconds: 0, reasons: [], error: "\(error)")
        }
        // Every stage is estimated (downstream estimates read its facts); only those that would
        // run report it, and only they ask for the machine's rates (measuring them takes time).
        let wouldRun = report.status == .wouldRun
        let estimate = estimateCost(of: stage, timed: wouldRun)
        if wouldRun, let estimate, estimate.hasFigures { report.estimate = estimate }
        observer?.stageFinished(report)
        return StageResult(report: report, outputs: outputs)
    }

    /// The kind's forecast of running `stage`, given the estimates of the stages it reads from;
    /// without `timed`, the kind gets no machine rates (and gives no time).
    func estimateCost(of stage: Stage, timed: Bool) -> StageEstimate? {
        condition.lock()
        let known = estimates
        condition.unlock()
        var upstream: [String: [UpstreamStage]] = [:]
        for input in stage.inputs {
            guard let producer = input.producer, let producerStage = pipeline.stage(named: producer) else { continue }
            upstream[input.parameter, default: []].append(UpstreamStage(
                name: producer, kind: producerStage.kind.name, parameters: producerStage.parameters, estimate: known[producer],
                path: workspace.absolute(input.path)))
        }
        let rate = machineRate
        let context = EstimateContext(
            pipeline: pipeline.name, stage: stage.name, workspace: workspace.root, parameters: stage.parameters,
            inputs: Dictionary(grouping: stage.inputs, by: \.parameter).mapValues { $0.map { workspace.absolute($0.path) } },
            outputs: Dictionary(uniqueKeysWithValues: stage.outputs.map { ($0.name, workspace.absolute($0.path)) }),
            upstream: upstream, machine: { timed ? rate.get() : nil })
        guard let estimate = stage.kind.estimate(context) else { return nil }
        condition.lock()
        estimates[stage.name] = estimate
        condition.unlock()
        return estimate
    }

    func execute(_ stage: Stage, upstream: [String: StageResult]) -> StageResult {
        let started = Date()
        let logPath = workspace.logRoot + "/\(pipeline.name)/\(stage.name).log"
        var key: Digest?
        var result: StageResult
        do {
            switch try assess(stage, upstream: upstream) {
            case .upToDate(let basis, let digest, let records):
                key = digest
                if !runCache.contains(digest) { try recache(stage, basis: basis, key: digest, records: records) }
                let report = StageReport(name: stage.name, status: .cached, key: digest.hex, seconds: 0, reasons: [], detail: "up to date")
                result = StageResult(report: report, outputs: Dictionary(uniqueKeysWithValues: records.map { ($0.path, $0.artifact) }))
            case .restorable(let basis, let digest, let record, let reasons):
                key = digest
                observer?.stageStarted(stage.name, action: "restoring", reasons: reasons)
                do {
                    result = try restore(stage, basis: basis, record: record, reasons: reasons, started: started)
                } catch let corruption as BlobStore.Corruption {
                    observer?.notice("\(stage.name): \(corruption); running the stage instead")
                    runCache.remove(digest)
                    result = try runStage(stage, basis: basis, key: digest, reasons: reasons + ["cached copy was corrupt"], logPath: logPath, started: started)
                }
            case .mustRun(let basis, let digest, let reasons):
                key = digest
                result = try runStage(stage, basis: basis, key: digest, reasons: reasons, logPath: logPath, started: started)
            case .waitsForUpstream:
                throw StageFailure("internal: upstream outputs unknown outside a dry run")
            }
        } catch {
            let message = "\(error)"
            let report = StageReport(
                name: stage.name, status: .failed, key: key?.hex, seconds: Date().timeIntervalSince(started), reasons: [],
                error: message, log: FileManager.default.fileExists(atPath: logPath) ? logPath : nil)
            if let key { recordFailure(stage.name, key: key, message: message, log: logPath) }
            result = StageResult(report: report, outputs: nil)
        }
        observer?.stageFinished(result.report)
        return result
    }

    private func restore(_ stage: Stage, basis: KeyBasis, record: RunRecord, reasons: [String], started: Date) throws -> StageResult {
        // Outputs go where *this* stage declares them: the key does not include output paths,
        // so the record may come from the same stage in another pipeline (out/<other>/…).
        let declared = Dictionary(stage.outputs.map { ($0.name, $0.path) }, uniquingKeysWith: { first, _ in first })
        let outputs = record.outputs.map { OutputRecord(name: $0.name, path: declared[$0.name] ?? $0.path, artifact: $0.artifact) }
        for output in outputs {
            let current = try? artifacts.hash(workspace.absolute(output.path))
            if current?.digest != output.artifact.digest {
                try artifacts.restore(output.artifact, to: workspace.absolute(output.path))
            }
        }
        try commitState(stage.name, key: record.key, basis: basis, outputs: outputs, seconds: record.seconds,
                        peakMemoryKB: record.peakMemoryKB, metrics: record.metrics)
        let report = StageReport(
            name: stage.name, status: .cached, key: record.key.hex, seconds: Date().timeIntervalSince(started),
            reasons: reasons, detail: "restored")
        return StageResult(report: report, outputs: Dictionary(uniqueKeysWithValues: outputs.map { ($0.path, $0.artifact) }))
    }

    private func runStage(_ stage: Stage, basis: KeyBasis, key: Digest, reasons: [String], logPath: String, started: Date) throws -> StageResult {
        observer?.stageStarted(stage.name, action: "running", reasons: reasons)
        let manager = FileManager.default
        // Outputs go away first, so nothing stale can pass for a fresh output.
        for output in stage.outputs {
            let path = workspace.absolute(output.path)
            if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
            try manager.createDirectory(
                atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        }
        try manager.createDirectory(atPath: URL(fileURLWithPath: logPath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try AtomicFile.write("", to: logPath)
        let stageState = workspace.stageStateRoot + "/" + key.hex
        try manager.createDirectory(atPath: stageState, withIntermediateDirectories: true)

        let invocation = StageInvocation(
            pipeline: pipeline.name, stage: stage.name, key: key, workspace: workspace.root, parameters: stage.parameters,
            inputs: Dictionary(grouping: stage.inputs, by: \.parameter).mapValues { $0.map { workspace.absolute($0.path) } },
            outputs: Dictionary(uniqueKeysWithValues: stage.outputs.map { ($0.name, workspace.absolute($0.path)) }),
            stateDirectory: stageState, logPath: logPath, forced: options.force.contains(stage.name),
            progress: { [weak observer] message in observer?.stageProgress(stage.name, message) },
            notice: { [weak observer] message in observer?.stageNotice(stage.name, message) })
        let outcome = try stage.kind.run(invocation)

        var records: [OutputRecord] = []
        for output in stage.outputs {
            let path = workspace.absolute(output.path)
            guard manager.fileExists(atPath: path) else {
                throw StageFailure("the stage did not produce its declared output '\(output.path)' (\(output.location))")
            }
            records.append(OutputRecord(name: output.name, path: output.path, artifact: try artifacts.store(path)))
        }
        let seconds = Date().timeIntervalSince(started)
        let log = try? artifacts.blobs.store(fileAt: logPath).digest
        let record = RunRecord(
            key: key, kind: stage.kind.name, kindVersion: stage.kind.version, stage: stage.name, pipeline: pipeline.name,
            outputs: records, log: log, seconds: seconds, peakMemoryKB: outcome.peakMemoryKB, metrics: outcome.metrics, createdAt: Date())
        try runCache.save(record)
        try commitState(stage.name, key: key, basis: basis, outputs: records, seconds: seconds, peakMemoryKB: outcome.peakMemoryKB, metrics: outcome.metrics)
        try? manager.removeItem(atPath: stageState)
        let report = StageReport(
            name: stage.name, status: .ran, key: key.hex, seconds: seconds, reasons: reasons, log: logPath, peakMemoryKB: outcome.peakMemoryKB)
        return StageResult(report: report, outputs: Dictionary(uniqueKeysWithValues: records.map { ($0.path, $0.artifact) }))
    }

    /// An up-to-date stage whose run record is gone (cache/ was deleted): store it again.
    private func recache(_ stage: Stage, basis: KeyBasis, key: Digest, records: [OutputRecord]) throws {
        var stored: [OutputRecord] = []
        for output in records {
            let artifact = try artifacts.store(workspace.absolute(output.path))
            guard artifact.digest == output.artifact.digest else { return }
            stored.append(output)
        }
        condition.lock()
        let previous = state.stages[stage.name]
        condition.unlock()
        let record = RunRecord(
            key: key, kind: stage.kind.name, kindVersion: stage.kind.version, stage: stage.name, pipeline: pipeline.name,
            outputs: stored, log: nil, seconds: previous?.seconds ?? 0, peakMemoryKB: previous?.peakMemoryKB,
            metrics: previous?.metrics ?? [:], createdAt: Date())
        try runCache.save(record)
    }

    private func commitState(_ stage: String, key: Digest, basis: KeyBasis, outputs: [OutputRecord], seconds: Double, peakMemoryKB: Int?, metrics: [String: JSONValue]) throws {
        condition.lock()
        defer { condition.unlock() }
        state.stages[stage] = PipelineState.StageState(
            key: key, basis: basis, outputs: outputs, seconds: seconds, peakMemoryKB: peakMemoryKB, metrics: metrics,
            finishedAt: Date(), failure: nil)
        try state.save(statePath)
    }

    private func recordFailure(_ stage: String, key: Digest, message: String, log: String) {
        condition.lock()
        defer { condition.unlock() }
        guard var entry = state.stages[stage] else {
            // Never succeeded: nothing to keep but the failure, which needs no state entry.
            return
        }
        entry.failure = PipelineState.Failure(key: key, message: message, log: log, at: Date())
        state.stages[stage] = entry
        try? state.save(statePath)
    }
}
