public import CurlTransport

/// What a plugin needs of the outbound HTTP client: one request, one answer, by a deadline.
///
/// Plugins depend on this and nothing more of the transport, so the gateway decides how
/// requests travel (today one libcurl multi handle on its own thread, which takes every request
/// submitted while it was busy in one go) and tests can wrap it.
///
/// Implementation requirements: `execute` never blocks the calling thread, honours `deadline`
/// (`TransportError.deadlineExceeded`) and task cancellation (`TransportError.cancelled`), and
/// is safe to call concurrently.
public protocol BackendTransport: Sendable {
    /// Runs `request` until `deadline`; any HTTP status is an answer.
    func execute(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(TransportError) -> HTTPClientResponse
}

extension CurlHTTPClient: BackendTransport {}

extension BackendTransport {
    /// Runs `request` for the backend named `backend`: the one way a plugin sends, so every
    /// plugin classifies transport failures alike (`BackendError(transport:backend:)`).
    public func send(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant, backend: String) async throws(BackendError) -> HTTPClientResponse {
        do {
            return try await execute(request, deadline: deadline)
        } catch {
            throw BackendError(transport: error, backend: backend)
        }
    }
}
