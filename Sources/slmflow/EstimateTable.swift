import Foundation
import SLMCore
import SLMPipeline

/// This machine's rates for dry-run time estimates: cblas_sgemm measured on first use (the
/// engine bench's 1024³ probe, about 0.1 s), or `$SLMFLOW_SGEMM_GFLOPS` when set; the memory
/// rate is the one docs/performance.md calibrates from the 330M Mu's decode (39 tokens/s,
/// each reading ~560 MB of fp32 weights).
enum MachineRates {
    static let calibratedMemoryGBps = 22.0

    static let provider: @Sendable () -> MachineRate = {
        let memory = String(format: "memory %.0f GB/s (calibrated, docs/performance.md)", calibratedMemoryGBps)
        if let text = ProcessInfo.processInfo.environment["SLMFLOW_SGEMM_GFLOPS"], let given = Double(text), given > 0 {
            return MachineRate(sgemmGflops: given, memoryGBps: calibratedMemoryGBps,
                               source: String(format: "sgemm %.0f GFLOP/s ($SLMFLOW_SGEMM_GFLOPS); ", given) + memory)
        }
        let measured = EngineBench.engineSgemmRate()
        return MachineRate(sgemmGflops: measured, memoryGBps: calibratedMemoryGBps,
                           source: String(format: "sgemm %.0f GFLOP/s (measured now: 1024³ products, best of 6); ", measured) + memory)
    }
}

/// The estimates of a dry run as aligned columns: stage, parameters, FLOPs, peak memory, time.
enum EstimateTable {
    static func lines(_ report: RunReport) -> [String] {
        let rows = report.stages.compactMap { stage in stage.estimate.map { (stage.name, $0) } }
        guard !rows.isEmpty else { return [] }
        var lines = ["estimates for the stages that would run:"]
        if let machine = report.machine {
            lines.append("  this machine: \(machine.source)")
            lines.append("  time = FLOPs ÷ 60% of sgemm (the engine's measured share) + weight reads while decoding ÷ memory rate")
        }
        let header = ["stage", "parameters", "FLOPs", "peak memory", "time"]
        var table = rows.map { name, e in
            [name, e.parameterCount.map(formatCount) ?? "?", e.flops.map(flops) ?? "?", e.peakMemoryBytes.map(bytes) ?? "?",
             e.seconds.map(duration) ?? "?"]
        }
        let seconds = rows.compactMap { $0.1.seconds }
        if rows.count > 1 {
            table.append(["total", "", flops(rows.compactMap { $0.1.flops }.reduce(0, +)),
                          bytes(rows.compactMap { $0.1.peakMemoryBytes }.max() ?? 0) + " max",
                          seconds.isEmpty ? "?" : duration(seconds.reduce(0, +))])
        }
        let widths = header.indices.map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[index] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.append("  " + render(header))
        lines += table.map { "  " + render($0) }
        for (name, estimate) in rows where !estimate.notes.isEmpty {
            lines.append("  \(name): " + estimate.notes.joined(separator: "; "))
        }
        return lines
    }

    static func flops(_ x: Double) -> String { String(format: "%.2e", x) }

    static func bytes(_ x: Double) -> String { slmflow.bytes(Int64(min(x, 9e18))) }

    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<60: return String(format: "%.0fs", max(seconds, 0))
        case ..<3600: return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
        case ..<86400: return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
        default: return String(format: "%dd%02dh", Int(seconds) / 86400, Int(seconds) % 86400 / 3600)
        }
    }
}
