import CCurl
import Foundation
import SLMCore

#if canImport(Glibc)
    import Glibc
#endif

/// Downloads a URL (http, https, file) to a path, the way a model store must:
/// - bytes go to `<path>.partial`, kept across runs and resumed with a Range request;
/// - an exclusive lock on `<path>.lock` means two processes never write the same file
///   (the second waits, then finds the finished file);
/// - the bytes are hashed while they stream, and the file is renamed to `<path>` only when
///   the SHA-256 (and size) match what was expected; a mismatch deletes the partial file;
/// - redirects are followed; transient failures (network errors, 5xx, 429, stalls) are
///   retried with exponential back-off; a transfer with no data for `stallSeconds` fails.
public struct Fetcher: Sendable {
    public struct Options: Sendable {
        public var retries = 4
        public var initialBackoff = 0.5
        public var maximumBackoff = 8.0
        public var stallSeconds = 30
        public var connectSeconds = 30
        public var showProgress = true
        public var headers: [String] = []
        public init() {}
    }

    public struct Result: Sendable {
        public let path: String
        public let digest: Digest
        public let size: Int64
        /// Bytes that were already in a `.partial` file when this call started (0 if none).
        public let resumedFrom: Int64
        /// False when the finished file was already there (another process fetched it).
        public let downloaded: Bool
    }

    public var options: Options

    public init(options: Options = Options()) {
        self.options = options
        Self.initialiseOnce
    }

    private static let initialiseOnce: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Fetches `url` to `path` unless it is already there.
    @discardableResult
    public func fetch(_ url: String, to path: String, sha256 expected: Digest?, size expectedSize: Int64? = nil, label: String? = nil) throws -> Result {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let lock = FileLock(path: path + ".lock")
        try lock.lock(.exclusive, owner: "pid \(getpid()) fetching \(url)")
        defer { lock.unlock() }
        if FileManager.default.fileExists(atPath: path) {
            let (digest, size) = try SHA256.hashFile(atPath: path)
            if expected == nil || digest == expected { return Result(path: path, digest: digest, size: size, resumedFrom: 0, downloaded: false) }
            unlink(path)
        }
        let partial = path + ".partial"
        let resumedFrom = fileSize(partial)
        var attempt = 0
        while true {
            do {
                try transfer(url, to: partial, label: label ?? (url as NSString).lastPathComponent, expectedSize: expectedSize)
                break
            } catch let error as FetchError where error.transient && attempt < options.retries {
                attempt += 1
                let delay = min(options.initialBackoff * pow(2, Double(attempt - 1)), options.maximumBackoff)
                FileHandle.standardError.write(Data("\(error); retrying in \(String(format: "%.1f", delay)) s (\(attempt)/\(options.retries))\n".utf8))
                usleep(UInt32(delay * 1_000_000))
            }
        }
        let (digest, size) = try SHA256.hashFile(atPath: partial)
        if let expectedSize, size != expectedSize {
            unlink(partial)
            throw FetchError(.sizeMismatch, url: url, "got \(size) bytes, expected \(expectedSize); the partial download was removed")
        }
        if let expected, digest != expected {
            unlink(partial)
            throw FetchError(.digestMismatch, url: url, "the bytes hash to sha256:\(digest.hex), expected sha256:\(expected.hex); nothing was kept")
        }
        let descriptor = open(partial, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
        try AtomicFile.commit(partial, to: path)
        return Result(path: path, digest: digest, size: size, resumedFrom: resumedFrom, downloaded: true)
    }

    /// The response headers (names lowercased) of a HEAD request, following redirects; for
    /// a header sent on several hops the first hop's value wins (the hub's X-Linked-Etag).
    public func head(_ url: String) throws -> (status: Int, headers: [String: String]) {
        guard let handle = curl_easy_init() else { throw FetchError(.io, url: url, "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let collector = HeaderCollector()
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in options.headers { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }
        scurl_setopt_str(handle, CURLOPT_URL, url)
        scurl_setopt_long(handle, CURLOPT_NOBODY, 1)
        scurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
        scurl_setopt_long(handle, CURLOPT_MAXREDIRS, 10)
        scurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectSeconds)
        scurl_setopt_long(handle, CURLOPT_TIMEOUT, max(options.stallSeconds, 10))
        scurl_setopt_str(handle, CURLOPT_USERAGENT, "slmflow")
        if headerList != nil { scurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList) }
        scurl_setopt_header(handle, FetchCallbacks.header)
        scurl_setopt_ptr(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(collector).toOpaque())
        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            throw FetchError(.network, url: url, "HEAD failed: \(String(cString: curl_easy_strerror(code)))", transient: true)
        }
        var status = 0
        scurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (status, collector.headers)
    }

    func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// One attempt: appends to `partial` from its current length.
    private func transfer(_ url: String, to partial: String, label: String, expectedSize: Int64?) throws {
        var existing = fileSize(partial)
        if let expectedSize, existing == expectedSize { return }
        if let expectedSize, existing > expectedSize {
            truncate(partial, 0)
            existing = 0
        }
        guard let file = fopen(partial, "ab") else { throw FetchError(.io, url: url, "cannot open '\(partial)' for writing") }
        let state = TransferState(file: file, already: existing, bar: ProgressBar(label: label, enabled: options.showProgress),
                                  stallSeconds: Double(options.stallSeconds))
        defer { fclose(file) }
        guard let handle = curl_easy_init() else { throw FetchError(.io, url: url, "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in options.headers { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let context = Unmanaged.passUnretained(state).toOpaque()
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { buffer in
            scurl_setopt_str(handle, CURLOPT_URL, url)
            scurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
            scurl_setopt_long(handle, CURLOPT_MAXREDIRS, 10)
            scurl_setopt_long(handle, CURLOPT_FAILONERROR, 1)
            scurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, options.connectSeconds)
            scurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            scurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, options.stallSeconds)
            scurl_setopt_str(handle, CURLOPT_USERAGENT, "slmflow")
            scurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            if headerList != nil { scurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headerList) }
            scurl_setopt_write(handle, FetchCallbacks.write)
            scurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
            scurl_setopt_xferinfo(handle, FetchCallbacks.progress)
            scurl_setopt_ptr(handle, CURLOPT_XFERINFODATA, context)
            scurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            if existing > 0 { scurl_setopt_off(handle, CURLOPT_RESUME_FROM_LARGE, Int(existing)) }
            return curl_easy_perform(handle)
        }
        fflush(file)
        var status = 0
        scurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        state.bar.finish(done: state.already + state.received, total: expectedSize)
        if state.writeFailed { throw FetchError(.io, url: url, "cannot write '\(partial)': \(String(cString: strerror(errno)))") }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch code {
        case CURLE_OK:
            return
        case CURLE_RANGE_ERROR:
            // The server ignored the Range request: start over from byte 0.
            truncate(partial, 0)
            throw FetchError(.network, url: url, "the server does not support resuming; restarting from the beginning", transient: true)
        case CURLE_HTTP_RETURNED_ERROR:
            if status == 416 {
                truncate(partial, 0)
                throw FetchError(.http, url: url, "HTTP 416 for the resumed range; restarting", transient: true, httpStatus: status)
            }
            let transient = status >= 500 || status == 429 || status == 408
            throw FetchError(.http, url: url, "HTTP \(status)" + (status == 404 ? " (not found)" : "") + (detail.isEmpty ? "" : ": \(detail)"),
                             transient: transient, httpStatus: status)
        case CURLE_OPERATION_TIMEDOUT, CURLE_ABORTED_BY_CALLBACK where state.stalled:
            throw FetchError(.stalled, url: url, "stalled: no data for \(options.stallSeconds) s after \(state.already + state.received) bytes (kept for resuming)", transient: true)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            throw FetchError(.unsupported, url: url, detail.isEmpty ? "unsupported URL" : detail)
        case CURLE_FILE_COULDNT_READ_FILE, CURLE_REMOTE_FILE_NOT_FOUND:
            throw FetchError(.http, url: url, detail.isEmpty ? "no such file" : detail)
        default:
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw FetchError(.network, url: url, "\(message) (curl error \(code.rawValue))", transient: true)
        }
    }
}

/// What the C callbacks need; passed to them as an unretained pointer.
final class TransferState {
    let file: UnsafeMutablePointer<FILE>
    let already: Int64
    var received: Int64 = 0
    var writeFailed = false
    let bar: ProgressBar
    /// The stall clock: libcurl's low-speed check averages over a window of several
    /// seconds, so the progress callback also aborts after `stallSeconds` without a byte.
    let stallSeconds: Double
    var lastReceived: Int64 = -1
    var lastDataAt = Date()
    var stalled = false

    init(file: UnsafeMutablePointer<FILE>, already: Int64, bar: ProgressBar, stallSeconds: Double) {
        self.file = file
        self.already = already
        self.bar = bar
        self.stallSeconds = stallSeconds
    }
}

final class HeaderCollector {
    var headers: [String: String] = [:]
}

enum FetchCallbacks {
    static let header: curl_write_callback = { pointer, size, count, context in
        guard let pointer, let context else { return 0 }
        let collector = Unmanaged<HeaderCollector>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes), as: UTF8.self)
        if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if collector.headers[name] == nil { collector.headers[name] = value }
        }
        return bytes
    }

    static let write: curl_write_callback = { pointer, size, count, context in
        guard let pointer, let context else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
        let bytes = size * count
        let written = fwrite(pointer, 1, bytes, state.file)
        if written != bytes { state.writeFailed = true }
        state.received += Int64(written)
        return written
    }

    static let progress: curl_xferinfo_callback = { context, total, now, _, _ in
        guard let context else { return 0 }
        let state = Unmanaged<TransferState>.fromOpaque(context).takeUnretainedValue()
        state.bar.update(done: state.already + Int64(now), total: total > 0 ? state.already + Int64(total) : nil)
        if state.received != state.lastReceived {
            state.lastReceived = state.received
            state.lastDataAt = Date()
        } else if Date().timeIntervalSince(state.lastDataAt) >= state.stallSeconds {
            state.stalled = true
            return 1  // aborts the transfer: CURLE_ABORTED_BY_CALLBACK
        }
        return 0
    }
}
