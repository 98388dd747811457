/// Why a transfer failed; a struct over a private enum of codes (like async-http-client's HTTPClientError).
///
/// Equality and hashing compare the kind only (plus the CURLcode for the generic `curl` kind), never
/// the message, so `error == .deadlineExceeded` holds for every deadline failure whatever curl said.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure; private so new kinds can be added without breaking callers' switches.
    private enum Code: Hashable, Sendable {
        case deadlineExceeded
        case cancelled
        case connectFailed
        case tlsFailure
        case responseTooLarge
        case shutdown
        case badURL
        case invalidRequest
        case connectionLost
        case curl
    }

    private var code: Code
    /// The CURLcode number when curl reported the failure, nil when it was decided without curl.
    public private(set) var curlCode: Int?
    /// Curl's error text (or our own explanation); not part of equality.
    public private(set) var message: String?

    private init(_ code: Code, curlCode: Int? = nil, message: String? = nil) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
    }

    /// The deadline passed before the response was complete (also when it had already passed at submission).
    public static let deadlineExceeded = TransportError(.deadlineExceeded)
    /// The calling task was cancelled; the transfer was removed from curl.
    public static let cancelled = TransportError(.cancelled)
    /// No connection could be made: refused, unreachable, name not resolved or connect timeout.
    public static let connectFailed = TransportError(.connectFailed)
    /// The TLS handshake, certificate verification or public-key pin check failed.
    public static let tlsFailure = TransportError(.tlsFailure)
    /// The response exceeded `CurlHTTPClient.Configuration.maxResponseBytes` (or the request's own
    /// `maxResponseBytes`); the transfer was aborted.
    public static let responseTooLarge = TransportError(.responseTooLarge)
    /// The client was shut down before or while the request ran.
    public static let shutdown = TransportError(.shutdown)
    /// The URL is malformed or uses a scheme other than http/https.
    public static let badURL = TransportError(.badURL)
    /// A header name or value is unusable (empty name, or CR, LF, NUL that would split the request).
    public static let invalidRequest = TransportError(.invalidRequest)
    /// The connection broke after it was made: reset, closed early, or nothing sent back.
    public static let connectionLost = TransportError(.connectionLost)

    /// Any other curl failure, carrying the CURLcode number and curl's message.
    public static func curl(code: Int, message: String) -> TransportError {
        TransportError(.curl, curlCode: code, message: message)
    }

    /// Returns a copy of this error kind carrying curl's code and message, for `description`.
    func with(curlCode: Int?, message: String?) -> TransportError {
        TransportError(code, curlCode: curlCode, message: message)
    }

    /// Stable, no associated values: safe as a metric label, e.g. "deadline_exceeded".
    public var shortDescription: String {
        switch code {
        case .deadlineExceeded: "deadline_exceeded"
        case .cancelled: "cancelled"
        case .connectFailed: "connect_failed"
        case .tlsFailure: "tls_failure"
        case .responseTooLarge: "response_too_large"
        case .shutdown: "shutdown"
        case .badURL: "bad_url"
        case .invalidRequest: "invalid_request"
        case .connectionLost: "connection_lost"
        case .curl: "curl_error"
        }
    }

    /// The short description followed by the CURLcode and curl's error text when known.
    public var description: String {
        var text = "TransportError.\(shortDescription)"
        if let curlCode {
            text += " (CURLcode \(curlCode))"
        }
        if let message, !message.isEmpty {
            text += ": \(message)"
        }
        return text
    }

    /// Compares the kind, and for the generic kind the CURLcode; messages are ignored.
    public static func == (lhs: TransportError, rhs: TransportError) -> Bool {
        guard lhs.code == rhs.code else { return false }
        return lhs.code != .curl || lhs.curlCode == rhs.curlCode
    }

    /// Hashes exactly what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        if code == .curl {
            hasher.combine(curlCode)
        }
    }
}
