/// A refused or unreadable archive, naming the file and the entry.
public struct ArchiveError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "archive \(path): \(message)" }
}
