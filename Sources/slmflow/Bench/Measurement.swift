import Foundation

/// Wall-clock samples of one benchmark, summarised by the median (these machines are
/// shared and noisy: medians and ratios from one session, never single timings).
struct Samples: Codable {
    var seconds: [Double]

    var median: Double {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
    var min: Double { seconds.min() ?? 0 }
    var max: Double { seconds.max() ?? 0 }

    static func measure(_ repetitions: Int, _ body: () throws -> Void) rethrows -> Samples {
        var seconds: [Double] = []
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Samples(seconds: seconds)
    }
}

/// Runs an external program (a reference tool) and waits; stdout to a file or /dev/null.
func runTool(_ arguments: [String], stdoutPath: String = "/dev/null") throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath) ?? FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

func toolExists(_ name: String) -> Bool {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(name)")
    }
}

/// The path of the running slmflow binary.
func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
}

/// Fills a buffer with float32 values of a normal distribution (Box–Muller over a
/// xorshift generator): what trained weights look like to a compressor.
func fillWithWeights(_ buffer: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
    var state = seed | 1
    func next() -> Double {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Double(state >> 11) / Double(1 << 53)
    }
    var index = 0
    while index < buffer.count {
        let u = max(next(), 1e-12), v = next()
        let radius = (-2 * log(u)).squareRoot() * 0.02
        buffer[index] = Float(radius * cos(2 * .pi * v))
        if index + 1 < buffer.count { buffer[index + 1] = Float(radius * sin(2 * .pi * v)) }
        index += 2
    }
}
