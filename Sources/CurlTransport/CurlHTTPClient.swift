import Logging
import Synchronization

/// Outbound HTTP over one libcurl multi handle driven by one dedicated I/O thread.
///
/// Thread-safe: share one client across tasks. Calling tasks never run curl code or block; they queue
/// the request for the I/O thread and suspend until it finishes, fails, is cancelled, or the client
/// is shut down. Call `shutdown()` when done: the I/O thread keeps running until then.
public final class CurlHTTPClient: Sendable {
    /// Limits and defaults shared by every request of one client.
    public struct Configuration: Sendable {
        /// Response bodies larger than this abort the transfer with `TransportError.responseTooLarge`.
        public var maxResponseBytes: Int = 64 << 20
        /// Limit for establishing a connection (TCP and TLS); never longer than the request's deadline.
        public var connectTimeout: Duration = .seconds(5)
        /// Concurrent connections per host; further requests wait in curl for a free connection.
        public var maxConnectionsPerHost: Int = 64
        /// The User-Agent header sent unless the request sets its own.
        public var userAgent: String = "eis/0.1"

        /// Creates the default configuration.
        public init() {}
    }

    // Internal, not private: tests look at what the I/O thread still holds.
    let io: CurlIOThread

    /// Starts the I/O thread.
    public init(configuration: Configuration = .init()) {
        io = CurlIOThread(configuration: configuration)
    }

    deinit {
        // The I/O thread holds its own reference to `io`, so without this it would run forever.
        if io.shutdown() {
            CurlIOThread.logger.warning("CurlHTTPClient released without shutdown(); shutting down its I/O thread now")
        }
    }

    /// Connections curl had to open so far (CURLINFO_NUM_CONNECTS summed over finished transfers);
    /// far fewer than requests means keep-alive reuse works. For metrics and tests.
    public var connectionsOpened: Int {
        io.connectionsOpened.load(ordering: .relaxed)
    }

    /// Primary call: runs the request until `deadline`, a point in time passed down the chain so timeouts do not compound.
    ///
    /// Any status code is a response. Fails with `.deadlineExceeded` when the deadline passes (at once,
    /// without touching curl, if it already has), `.cancelled` when the calling task is cancelled,
    /// `.shutdown` once `shutdown()` was called, or another `TransportError` for network failures.
    public func execute(
        _ request: HTTPClientRequest,
        deadline: ContinuousClock.Instant
    ) async throws(TransportError) -> HTTPClientResponse {
        try Self.validate(request)
        guard ContinuousClock.now < deadline else {
            throw .deadlineExceeded
        }
        let submission = CurlIOThread.Submission(id: io.makeID(), request: request, deadline: deadline)
        let io = self.io
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                io.submit(submission, continuation: continuation)
            }
        } onCancel: {
            io.cancel(submission.id)
        }
        return try result.get()
    }

    /// Starts several requests concurrently under one lock and one wakeup of the I/O thread; read
    /// their outcomes from the returned batch as they end. Where `execute` per request in child
    /// tasks costs a lock, a wakeup and a resumption per request, a batch whose requests all
    /// succeed costs one of each. The gateway sends the shares of one sharing this way.
    ///
    /// Each request fails as `execute` would: an invalid request, or a deadline already passed,
    /// ends at once without touching curl.
    public func start(_ requests: [HTTPClientRequest], deadline: ContinuousClock.Instant) -> HTTPClientBatch {
        var ended = [HTTPClientBatch.Ended]()
        var submissions = [(index: Int, submission: CurlIOThread.Submission)]()
        let now = ContinuousClock.now
        for (index, request) in requests.enumerated() {
            do throws(TransportError) {
                try Self.validate(request)
                guard now < deadline else { throw .deadlineExceeded }
                submissions.append((index, CurlIOThread.Submission(id: io.makeID(), request: request, deadline: deadline)))
            } catch {
                ended.append(HTTPClientBatch.Ended(index: index, outcome: HTTPClientOutcome(result: .failure(error), finishedAt: now)))
            }
        }
        let groupID = io.makeID()
        io.submit(group: groupID, submissions, ended: ended)
        return HTTPClientBatch(io: io, groupID: groupID, ids: submissions.map(\.submission.id))
    }

    /// Runs several requests concurrently (`start`) and returns every outcome, in order.
    /// Cancelling the calling task fails every request still running with `.cancelled`.
    public func executeAll(_ requests: [HTTPClientRequest], deadline: ContinuousClock.Instant) async -> [HTTPClientOutcome] {
        let batch = start(requests, deadline: deadline)
        var outcomes = [HTTPClientOutcome?](repeating: nil, count: requests.count)
        while case let ended = await batch.next(), !ended.isEmpty {
            for item in ended { outcomes[item.index] = item.outcome }
        }
        return outcomes.map { $0! }
    }

    /// Convenience: converts `timeout` to a deadline from now; errors are `TransportError`.
    public func execute(_ request: HTTPClientRequest, timeout: Duration) async throws -> HTTPClientResponse {
        try await execute(request, deadline: .now + timeout)
    }

    /// Stops the I/O thread; in-flight and later requests fail with `.shutdown`. Idempotent, does not block.
    ///
    /// Waiting callers are resumed before this returns; the I/O thread then detaches their transfers,
    /// closes cached connections and exits on its own shortly after.
    public func shutdown() {
        io.shutdown()
    }

    /// Rejects requests that curl would misinterpret: a URL without an explicit http(s) scheme (curl
    /// would guess one) or with NUL (C strings end there), and header fields whose CR/LF/NUL would let a
    /// value inject extra headers or split the request.
    private static func validate(_ request: HTTPClientRequest) throws(TransportError) {
        let scheme = request.url.prefix(8).lowercased()
        guard scheme.hasPrefix("http://") || scheme.hasPrefix("https://") else {
            throw .badURL
        }
        if request.url.utf8.contains(0) {
            throw .badURL
        }
        for field in request.headers {
            let name = field.name.utf8
            if name.isEmpty || name.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 == 0x7F }) {
                throw .invalidRequest
            }
            if field.value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) {
                throw .invalidRequest
            }
        }
    }
}
