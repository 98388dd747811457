/// Why the share server's TLS settings cannot be used: a file that is missing, unreadable or not what it should be.
///
/// Raised when the server is created, before it listens, so a bad file stops `eis-server` at start-up.
public struct ShareServerTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file.
    public let message: String

    /// Creates an error with its explanation.
    public init(_ message: String) {
        self.message = message
    }

    /// The explanation.
    public var description: String { message }
}
