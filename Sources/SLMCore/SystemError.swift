import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An error from the operating system or a C library, with what we were doing when it happened.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// Captures the current `errno` as text: "cannot open 'x': No such file or directory".
    public static func errno(_ what: String) -> SystemError {
        SystemError("\(what): \(String(cString: strerror(Glibc.errno)))")
    }

    public var description: String { message }
}
