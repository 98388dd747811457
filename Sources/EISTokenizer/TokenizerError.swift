/// Why a tokenizer could not be loaded or built.
///
/// A struct over a private enum of codes, like async-http-client's `HTTPClientError`:
/// `shortDescription` has no associated values, so it is safe as a metric label.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: String, Sendable {
        case fileUnreadable
        case malformedFile
        case unsupportedComponent
        case missingToken
        case invalidVocabulary
    }

    private let code: Code
    /// What went wrong, naming the file, key or token.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A file of the tokenizer folder is missing or cannot be read.
    public static func fileUnreadable(_ message: String) -> TokenizerError { .init(.fileUnreadable, message) }
    /// A file is not the JSON (or text) it should be, or a key has the wrong type.
    public static func malformedFile(_ message: String) -> TokenizerError { .init(.malformedFile, message) }
    /// The tokenizer asks for a normalizer, pre-tokenizer, model or post-processor this code does not implement.
    public static func unsupportedComponent(_ message: String) -> TokenizerError { .init(.unsupportedComponent, message) }
    /// A token the tokenizer needs (the unknown token, a template's special token) is not in its vocabulary.
    public static func missingToken(_ message: String) -> TokenizerError { .init(.missingToken, message) }
    /// The vocabulary is empty, has gaps in its ids, or holds entries that cannot be told apart.
    public static func invalidVocabulary(_ message: String) -> TokenizerError { .init(.invalidVocabulary, message) }

    /// The kind of error without its details.
    public var shortDescription: String { code.rawValue }
    /// The kind of error and its details.
    public var description: String { "\(code.rawValue): \(message)" }

    /// Whether `other` is the same kind of error, whatever its message.
    public func isSameKind(as other: TokenizerError) -> Bool { code == other.code }
}
