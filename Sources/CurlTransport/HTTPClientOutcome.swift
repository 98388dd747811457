/// How one request of a `CurlHTTPClient` batch (`start`, `executeAll`) ended, and when.
public struct HTTPClientOutcome: Sendable {
    /// The response, or why there is none.
    public var result: Result<HTTPClientResponse, TransportError>
    /// When this request ended. A batch's reader is woken for several outcomes at once, often
    /// after the last request ended, so this, not the time of waking, is each request's latency.
    public var finishedAt: ContinuousClock.Instant

    /// Creates an outcome.
    public init(result: Result<HTTPClientResponse, TransportError>, finishedAt: ContinuousClock.Instant) {
        self.result = result
        self.finishedAt = finishedAt
    }
}

extension HTTPClientOutcome {
    /// A response with a 2xx status; anything else (an error, another status) did not succeed.
    public var succeeded: Bool {
        if case .success(let response) = result { return (200..<300).contains(response.status) }
        return false
    }
}
