/// The JSON error body every EIS HTTP endpoint answers with: `{"error":{"code":…,"message":…}}`.
///
/// `code` is stable (safe for programs and metric labels); `message` is for people and never
/// contains input or share values.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The error's fields.
    public struct Detail: Codable, Sendable, Equatable {
        /// Stable machine-readable code, e.g. `wrong_length`.
        public var code: String
        /// Human-readable explanation.
        public var message: String
    }

    /// The error.
    public var error: Detail

    /// Creates an error body.
    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
