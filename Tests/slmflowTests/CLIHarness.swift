import Foundation

/// Runs the built `slmflow` binary the way a user does.
struct CLI {
    static var binary: String {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("slmflow").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return folder.appendingPathComponent("slmflow").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func start(_ arguments: [String], in folder: String) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        environment["SLMFLOW_WORKSPACE"] = nil
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    @discardableResult
    static func run(_ arguments: [String], in folder: String) throws -> Result {
        let (process, out, err) = try start(arguments, in: folder)
        // Read before waiting, so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryWorkspace() throws -> String {
        let path = NSTemporaryDirectory() + "slmflow-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
