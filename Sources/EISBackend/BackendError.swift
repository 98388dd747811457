/// Why a call to a backend failed.
///
/// A struct over a private enum of codes (the async-http-client pattern): `shortDescription` has
/// no associated values and is safe as a metric label; `message` is for logs.
public struct BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable, CaseIterable {
        case unreachable
        case tlsFailure = "tls_failure"
        case timeout
        case cancelled
        case rejected
        case badResponse = "bad_response"
        case mismatch
        case unsupported
        case unavailable
        case wrongResult = "wrong_result"
    }

    private let code: Code
    /// Detail for logs. Never contains share values.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Stable, label-safe name of the failure.
    public var shortDescription: String { code.rawValue }

    /// Every `shortDescription` there is, so metrics can create each labelled series at zero.
    public static var allShortDescriptions: [String] { Code.allCases.map(\.rawValue) }
    public var description: String { "\(code.rawValue): \(message)" }

    /// The backend could not be reached (connection refused, reset, closed mid-answer, …).
    public static func unreachable(_ message: String) -> Self { Self(.unreachable, message) }
    /// The TLS handshake failed: the server's certificate did not verify (unknown CA, expired,
    /// wrong host) or match its pin, or the server refused the client certificate. Kept apart
    /// from `unreachable` because it is a setup problem, not a passing one.
    public static func tlsFailure(_ message: String) -> Self { Self(.tlsFailure, message) }
    /// The call's deadline passed.
    public static func timeout(_ message: String) -> Self { Self(.timeout, message) }
    /// The caller cancelled.
    public static func cancelled(_ message: String) -> Self { Self(.cancelled, message) }
    /// The backend answered with an error status.
    public static func rejected(_ message: String) -> Self { Self(.rejected, message) }
    /// The backend answered something that breaks its protocol (wrong size, garbage).
    public static func badResponse(_ message: String) -> Self { Self(.badResponse, message) }
    /// The backend serves other weights, shapes or fractional bits than the gateway expects.
    public static func mismatch(_ message: String) -> Self { Self(.mismatch, message) }
    /// The backend cannot do what was asked (arithmetic, batch size).
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }

    /// Too few backends could be used (none placed, or none left to fail over to).
    public static func unavailable(_ message: String) -> Self { Self(.unavailable, message) }
    /// The backend answered a well-formed partial that is not the product of its share with the
    /// layer's weights: the gateway's verification caught it (a lying, stale or broken server).
    public static func wrongResult(_ message: String) -> Self { Self(.wrongResult, message) }

    /// Whether this is a deadline failure.
    public var isTimeout: Bool { code == .timeout }
    /// Whether the TLS handshake or a certificate check failed.
    public var isTLSFailure: Bool { code == .tlsFailure }
    /// Whether this is a cancellation.
    public var isCancelled: Bool { code == .cancelled }
    /// Whether the backend serves something other than what the gateway expects.
    public var isMismatch: Bool { code == .mismatch }
    /// Whether too few backends could be used.
    public var isUnavailable: Bool { code == .unavailable }
    /// Whether the backend's partial failed verification.
    public var isWrongResult: Bool { code == .wrongResult }
}
