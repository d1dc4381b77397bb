import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// scripts/testing/zoo_http_server.py on 127.0.0.1 (a free port), serving `root`:
/// /files/NAME[?cut=N|stall=N], /redirect/NAME, and 404 for anything missing.
public final class LoopbackServer {
    public static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/testing/zoo_http_server.py").path

    let process = Process()
    public let port: Int
    let log: String

    /// Requests are logged to `root/../requests.log`.
    public init(serving root: String) throws {
        log = root + "/../requests.log"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, root, log]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        // Bounded: ends at the first newline or when the server's stdout closes.
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw SystemError("the test HTTP server did not print its port")
        }
        self.port = port
    }

    deinit {
        // SIGKILL: the child may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var base: String { "http://127.0.0.1:\(port)" }
    public var requests: [String] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
}
