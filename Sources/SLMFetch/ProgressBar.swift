import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress report on stderr: bytes, rate and ETA. Redrawn at most a few times a
/// second on a terminal; elsewhere (logs, tests) only the final line is written.
final class ProgressBar {
    let label: String
    private let interactive = isatty(STDERR_FILENO) == 1
    private let started = Date()
    private var lastDraw = Date.distantPast
    let enabled: Bool

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
    }

    func update(done: Int64, total: Int64?, force: Bool = false) {
        guard enabled, interactive else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: done, total: total)).utf8))
    }

    func finish(done: Int64, total: Int64?) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(((interactive ? "\r\u{1B}[K" : "") + line(done: done, total: total) + "\n").utf8))
    }

    func line(done: Int64, total: Int64?) -> String {
        let elapsed = max(Date().timeIntervalSince(started), 0.001)
        let rate = Double(done) / elapsed
        var text = "\(label) \(Self.size(done))"
        if let total, total > 0 {
            let fraction = min(Double(done) / Double(total), 1)
            let filled = Int(fraction * 24)
            text += "/\(Self.size(total)) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: 24 - filled) + "]"
            text += String(format: " %3.0f%%", fraction * 100)
            if rate > 0, done < total { text += " ETA " + Self.duration(Double(total - done) / rate) }
        }
        return text + " " + Self.size(Int64(rate)) + "/s"
    }

    static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes), unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
