/// Why a model plan (or the model folder it is built from) cannot be used.
///
/// Raised when the plan is built, before any input is seen, so a broken model is refused at
/// start-up rather than on its first request.
public struct ModelPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case unknownStep = "unknown_step"
        case missingLayer = "missing_layer"
        case unknownValue = "unknown_value"
        case shapeMismatch = "shape_mismatch"
        case invalidParameters = "invalid_parameters"
        case invalidModel = "invalid_model"
    }

    private let code: Code
    /// What is wrong, naming the step, layer, value or file.
    public let message: String

    /// A stable code without details, safe as a metric label.
    public var shortDescription: String { code.rawValue }
    /// The message.
    public var description: String { message }

    /// A step name that is neither a layer of the model nor a local operation.
    public static func unknownStep(_ message: String) -> Self { Self(code: .unknownStep, message: message) }
    /// A linear step names a layer the model does not have.
    public static func missingLayer(_ message: String) -> Self { Self(code: .missingLayer, message: message) }
    /// A step reads a value no earlier step produced, or writes one twice.
    public static func unknownValue(_ message: String) -> Self { Self(code: .unknownValue, message: message) }
    /// Widths or row kinds that do not fit together.
    public static func shapeMismatch(_ message: String) -> Self { Self(code: .shapeMismatch, message: message) }
    /// Parameters of a local operation that cannot be used.
    public static func invalidParameters(_ message: String) -> Self { Self(code: .invalidParameters, message: message) }
    /// A model folder whose files are missing, unreadable or of an unsupported kind.
    public static func invalidModel(_ message: String) -> Self { Self(code: .invalidModel, message: message) }
}
