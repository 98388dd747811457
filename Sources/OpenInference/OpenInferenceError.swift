/// Why an Open Inference Protocol message could not be decoded or encoded.
///
/// A struct over a private enum of codes (the async-http-client pattern): `shortDescription` is
/// label-safe; `message` says where and what, and never quotes tensor values.
public struct OpenInferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case malformed
        case unsupported
        case inconsistent
        case tooLarge = "too_large"
        case invalidValue = "invalid_value"
    }

    private let code: Code
    /// What went wrong and where (a byte offset, a tensor name); no tensor values.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Stable, label-safe name of the failure.
    public var shortDescription: String { code.rawValue }
    public var description: String { "\(code.rawValue): \(message)" }

    /// Not valid JSON, or a field of the wrong JSON type, or a required field missing.
    public static func malformed(_ message: String) -> Self { Self(.malformed, message) }
    /// Valid, but uses something this module does not implement (a datatype such as INT32 or BYTES).
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }
    /// Parts disagree: data count vs shape, binary sizes vs the body, a duplicate field.
    public static func inconsistent(_ message: String) -> Self { Self(.inconsistent, message) }
    /// Exceeds an `OpenInferenceLimits` bound (checked before anything is allocated).
    public static func tooLarge(_ message: String) -> Self { Self(.tooLarge, message) }
    /// A value that cannot be represented: a non-integer INT64, a float out of range, NaN in JSON.
    public static func invalidValue(_ message: String) -> Self { Self(.invalidValue, message) }
}
