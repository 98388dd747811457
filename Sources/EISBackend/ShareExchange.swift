public import CurlTransport

/// The one HTTP exchange that evaluates a share batch on a backend: the request, the client it
/// goes through, and how to read the answer.
///
/// A backend that can evaluate a batch in a single exchange offers one through
/// `Backend.exchange(for:outputs:)`. The gateway then sends the shares of one sharing to their
/// backends as one `CurlHTTPClient.start` batch and waits once, instead of running one task per
/// share, which saves a few thread wakeups per request.
public struct ShareExchange: Sendable {
    /// Reads the server's answer; the same checks, and errors, as `Backend.evaluate`.
    public typealias Reader = @Sendable (HTTPClientResponse) throws(BackendError) -> ShareMatrix

    /// The client the request must go through.
    public let client: CurlHTTPClient
    /// The request that evaluates the batch.
    public let request: HTTPClientRequest
    /// The backend's name, for transport errors.
    public let backend: String
    /// Turns the answer into the partial products, or the error `evaluate` would throw.
    public let read: Reader

    /// Creates an exchange.
    public init(client: CurlHTTPClient, request: HTTPClientRequest, backend: String, read: @escaping Reader) {
        self.client = client
        self.request = request
        self.backend = backend
        self.read = read
    }

    /// Runs the exchange on its own: what `evaluate` does for a backend that offers exchanges.
    public func run(deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: deadline)
        } catch {
            throw BackendError(transport: error, backend: backend)
        }
        return try read(response)
    }

    /// The partials in one outcome of a `CurlHTTPClient` batch for this exchange, or why there are none.
    public func partials(from outcome: HTTPClientOutcome) -> Result<ShareMatrix, BackendError> {
        switch outcome.result {
        case .success(let response):
            do throws(BackendError) {
                return .success(try read(response))
            } catch {
                return .failure(error)
            }
        case .failure(let error):
            return .failure(BackendError(transport: error, backend: backend))
        }
    }
}
