import CShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion: argv as given (no shell), a chosen working folder and
/// environment, stdout and stderr appended to a log file. The child dies with the thread
/// that started it (see `cshims_spawn`); `wait4` gives its exit status and peak memory.
public enum Subprocess {
    public struct Termination: Sendable {
        /// The exit code, or nil when a signal ended the process.
        public var exitCode: Int32?
        public var signal: Int32?
        public var peakMemoryKB: Int

        public var succeeded: Bool { exitCode == 0 }
        public var summary: String {
            if let exitCode { return "exited with status \(exitCode)" }
            return "was killed by signal \(signal ?? 0)"
        }
    }

    public static func run(_ arguments: [String], in folder: String, environment: [String: String], logPath: String) throws -> Termination {
        guard let program = arguments.first else { throw SystemError("an empty command") }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = cshims_spawn(argv, envp, folder, logPath, &pid)
        guard status == 0 else {
            throw SystemError("cannot start '\(program)' in '\(folder)': \(String(cString: strerror(status)))")
        }
        var waitStatus: Int32 = 0
        var usage = rusage()
        while wait4(pid, &waitStatus, 0, &usage) < 0 {
            guard errno == EINTR else { throw SystemError.errno("waiting for '\(program)'") }
        }
        let termination = waitStatus & 0x7f
        if termination == 0 {
            return Termination(exitCode: (waitStatus >> 8) & 0xff, signal: nil, peakMemoryKB: usage.ru_maxrss)
        }
        return Termination(exitCode: nil, signal: termination, peakMemoryKB: usage.ru_maxrss)
    }
}
