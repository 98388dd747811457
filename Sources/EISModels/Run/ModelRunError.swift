/// Why running a plan on one input failed.
///
/// `isClientError` separates what the caller sent (a 4xx) from what went wrong inside the
/// gateway (a 5xx): an overflow in a hidden layer comes from the model and the fixed-point
/// settings, never from the client, so it is the gateway's error and names the model and layer.
public struct ModelRunError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: String, Sendable, Hashable {
        case invalidInput = "invalid_input"
        case overflow = "overflow"
        case evaluatorMismatch = "evaluator_mismatch"
    }

    private let code: Code
    /// What is wrong.
    public let message: String
    /// The model, for errors raised inside a round.
    public let model: String?
    /// The linear layer, for errors raised inside a round.
    public let layer: String?

    /// A stable code without details, safe as a metric label.
    public var shortDescription: String { code.rawValue }
    /// The message.
    public var description: String { message }
    /// Whether the input is at fault (true) or the gateway and its model (false).
    public var isClientError: Bool { code == .invalidInput }
    /// Whether this is a fixed-point overflow in a round.
    public var isOverflow: Bool { code == .overflow }

    /// The input does not fit the model (wrong width, unknown token id, too long).
    public static func invalidInput(_ message: String) -> Self {
        Self(code: .invalidInput, message: message, model: nil, layer: nil)
    }

    /// A layer's input could overflow Z/2^64 (`|W_enc · x_enc|` may reach 2^63) or cannot be
    /// encoded with the round's fractional bits.
    public static func overflow(model: String, layer: String, _ detail: String) -> Self {
        Self(code: .overflow, message: "model '\(model)', layer '\(layer)': \(detail)", model: model, layer: layer)
    }

    /// An evaluator answered with the wrong shape.
    public static func evaluatorMismatch(model: String, layer: String, _ detail: String) -> Self {
        Self(code: .evaluatorMismatch, message: "model '\(model)', layer '\(layer)': \(detail)", model: model, layer: layer)
    }
}
