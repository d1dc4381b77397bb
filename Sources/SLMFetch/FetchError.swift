/// Why a download failed, with the URL and what to do about it.
public struct FetchError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        case http, network, stalled, digestMismatch, sizeMismatch, io, unsupported
    }

    public let kind: Kind
    public let url: String
    public let message: String
    /// Whether trying again could help (network trouble, 5xx, a stall).
    public let transient: Bool
    public var httpStatus: Int?

    public init(_ kind: Kind, url: String, _ message: String, transient: Bool = false, httpStatus: Int? = nil) {
        self.kind = kind
        self.url = url
        self.message = message
        self.transient = transient
        self.httpStatus = httpStatus
    }

    public var description: String { "download of \(url) failed: \(message)" }
}
