import CShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to completion with posix_spawn: argv as given (no shell), a chosen
/// working folder and environment, stdout and stderr appended to a log file.
/// `wait4` gives the exit status and the child's peak resident memory.
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        cshims_spawn_add_chdir(&actions, folder)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Signals slmflow ignores must not stay ignored in the child.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw SystemError("cannot start '\(program)': \(String(cString: strerror(status)))")
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
