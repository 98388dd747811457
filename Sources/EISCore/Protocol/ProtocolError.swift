/// Why a native-protocol message was refused.
///
/// A struct over a private enum of codes, so new codes never break callers; `code` is stable and
/// safe as a metric label and as the `error.code` field of a JSON error body.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case malformed = "malformed_message"
        case unsupportedVersion = "unsupported_version"
        case unsupportedArithmetic = "unsupported_arithmetic"
        case tooLarge = "message_too_large"
    }

    private let kind: Code
    /// Human-readable detail. Never contains share values.
    public let message: String

    private init(_ kind: Code, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The stable error code.
    public var code: String { kind.rawValue }
    public var description: String { "\(code): \(message)" }

    /// Bytes that do not follow the format (bad magic, lengths that disagree, bad UTF-8).
    public static func malformed(_ message: String) -> Self { Self(.malformed, message) }
    /// A protocol version this side does not speak.
    public static func unsupportedVersion(_ version: UInt16) -> Self {
        Self(.unsupportedVersion, "protocol version \(version) is not supported (this side speaks \(ShareProtocol.version))")
    }
    /// An arithmetic code this side does not implement.
    public static func unsupportedArithmetic(_ code: UInt8) -> Self {
        Self(.unsupportedArithmetic, "arithmetic \(code) is not supported")
    }
    /// Dimensions over the configured limits.
    public static func tooLarge(_ message: String) -> Self { Self(.tooLarge, message) }
}
