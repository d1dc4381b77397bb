import Foundation
import SLMCore
import SLMPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Progress on stderr for people: a line per stage as it starts and ends, a live line of
/// the stages running now with their elapsed time (on a terminal), and a summary.
final class TerminalReporter: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let interactive: Bool
    private let colour: Bool
    private var running: [String: (since: Date, message: String)] = [:]
    /// Off a terminal, when each stage last printed a progress line (they are rate-limited).
    private var lastProgressLine: [String: Date] = [:]
    private static let progressInterval: TimeInterval = 5
    private var statusLineShown = false
    private var ticker: Thread?
    private var finished = false
    private let workspaceRoot: String

    init(workspaceRoot: String) {
        interactive = isatty(2) == 1
        colour = interactive && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        self.workspaceRoot = workspaceRoot
    }

    // MARK: - RunObserver

    func runStarted(_ pipeline: Pipeline, stages: Int, dryRun: Bool) {
        emit(style("\(dryRun ? "dry run of" : "running") \(pipeline.name)", .bold) + style(" (\(pipeline.file), \(stages) stages)", .dim))
        guard interactive, !dryRun else { return }
        let thread = Thread { [weak self] in
            while let self, !self.isFinished {
                Thread.sleep(forTimeInterval: 0.25)
                self.lock.lock()
                self.redrawStatusLine()
                self.lock.unlock()
            }
        }
        ticker = thread
        thread.start()
    }

    func stageStarted(_ stage: String, action: String, reasons: [String]) {
        lock.lock()
        running[stage] = (Date(), action)
        lock.unlock()
        let why = reasons.isEmpty ? "" : style(" — " + reasons.joined(separator: "; "), .dim)
        emit(style("▸ ", .cyan) + stage + " " + action + why)
    }

    func stageProgress(_ stage: String, _ message: String) {
        lock.lock()
        if let entry = running[stage] { running[stage] = (entry.since, message) }
        // A terminal shows the latest message in the status line; a log or pipe gets one line
        // per stage every few seconds (the stage's own log keeps them all).
        var print = false
        if !interactive {
            let now = Date()
            if let last = lastProgressLine[stage], now.timeIntervalSince(last) < Self.progressInterval {
                print = false
            } else {
                lastProgressLine[stage] = now
                print = true
            }
        }
        lock.unlock()
        if print { emit("  \(stage): \(message)") }
    }

    func stageNotice(_ stage: String, _ message: String) {
        emit("  \(stage): \(message)")
    }

    func stageFinished(_ report: StageReport) {
        lock.lock()
        running[report.name] = nil
        lastProgressLine[report.name] = nil
        lock.unlock()
        let time = style(" " + formatSeconds(report.seconds), .dim)
        switch report.status {
        case .ran:
            emit(style("✓ ", .green) + report.name + " ran" + time)
        case .cached:
            let detail = report.detail ?? "cached"
            emit(style("✓ ", .green) + report.name + style(" \(detail)", .dim) + (detail == "restored" ? time : ""))
        case .skipped:
            emit(style("– ", .yellow) + report.name + " skipped" + style(" — " + report.reasons.joined(separator: "; "), .dim))
        case .failed:
            var lines = [style("✗ ", .red) + report.name + style(" failed", .red) + time, "    " + (report.error ?? "")]
            if let log = report.log {
                lines.append("    log: " + relative(log))
                lines += tail(of: log, lines: 8).map { style("    │ ", .dim) + $0 }
            }
            emit(lines.joined(separator: "\n"))
        case .wouldRun:
            emit(style("▸ ", .cyan) + report.name + " would run" + style(" — " + report.reasons.joined(separator: "; "), .dim))
        case .wouldRestore:
            emit(style("↺ ", .cyan) + report.name + " would be restored from cache" + style(" — " + report.reasons.joined(separator: "; "), .dim))
        }
    }

    func runFinished(_ report: RunReport) {
        lock.lock()
        finished = true
        clearStatusLine()
        lock.unlock()
        let restored = report.stages.filter { $0.detail == "restored" }.count
        let counts: [(String, Int)] = [
            ("ran", report.count(.ran)), ("restored from cache", restored),
            ("up to date", report.count(.cached) - restored), ("would run", report.count(.wouldRun)),
            ("would be restored", report.count(.wouldRestore)), ("skipped", report.count(.skipped)),
            ("failed", report.count(.failed)),
        ]
        let summary = counts.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
            + " in " + formatSeconds(report.seconds)
        if report.dryRun { EstimateTable.lines(report).forEach { emit($0) } }
        let nothingToDo = !report.dryRun && report.succeeded && report.stages.allSatisfy { $0.status == .cached && $0.detail == "up to date" }
        let line = nothingToDo ? "nothing to do: everything is up to date (\(formatSeconds(report.seconds)))" : summary
        emit(style(report.succeeded ? line : "failed: " + line, report.succeeded ? .bold : .red))
    }

    func notice(_ message: String) { emit(style(message, .yellow)) }

    // MARK: - drawing

    private var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }

    private func emit(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        clearStatusLine()
        FileHandle.standardError.write(Data((text + "\n").utf8))
        redrawStatusLine()
    }

    /// Caller holds `lock`.
    private func redrawStatusLine() {
        guard interactive, !finished, !running.isEmpty else { return }
        let now = Date()
        let items = running.sorted { $0.value.since < $1.value.since }.map { name, entry in
            "\(name) \(formatSeconds(now.timeIntervalSince(entry.since))) \(entry.message)"
        }
        var line = "  ⋯ " + items.joined(separator: " │ ")
        if line.count > 160 { line = String(line.prefix(157)) + "…" }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + style(line, .dim)).utf8))
        statusLineShown = true
    }

    /// Caller holds `lock`.
    private func clearStatusLine() {
        guard statusLineShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        statusLineShown = false
    }

    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", cyan = "36"
    }

    private func style(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(workspaceRoot + "/") ? String(path.dropFirst(workspaceRoot.count + 1)) : path
    }

    private func tail(of path: String, lines count: Int) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let text = String(decoding: data.suffix(8192), as: UTF8.self)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }.suffix(count))
    }
}

func formatSeconds(_ seconds: Double) -> String {
    if seconds < 1 { return String(format: "%.0fms", seconds * 1000) }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let minutes = Int(seconds) / 60
    return String(format: "%dm%02ds", minutes, Int(seconds) % 60)
}
