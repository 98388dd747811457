/// Requests started together by `CurlHTTPClient.start(_:deadline:)`, read back as they end.
///
/// `next()` wakes its caller once when everything went well (the last answer brings all of them),
/// and at once when something did not succeed, so the caller can act on a failure (fail over)
/// without waiting for slower requests. Read it from one task at a time.
///
/// A batch let go before every outcome was read cancels the requests still running and drops
/// what the client held for it, so an abandoned batch costs nothing afterwards.
public final class HTTPClientBatch: Sendable {
    /// One request's outcome, with the request's index in the list given to `start`.
    public struct Ended: Sendable {
        /// The request's position in the list given to `start`.
        public var index: Int
        /// How it ended, and when.
        public var outcome: HTTPClientOutcome
    }

    private let io: CurlIOThread
    private let groupID: UInt64
    private let ids: [UInt64]

    init(io: CurlIOThread, groupID: UInt64, ids: [UInt64]) {
        self.io = io
        self.groupID = groupID
        self.ids = ids
    }

    /// The outcomes that ended since the last call: returns once every request has ended or one
    /// has not succeeded (an error or a non-2xx status). Empty once every outcome was read.
    ///
    /// Cancelling the calling task fails every request still running with `.cancelled`; those
    /// outcomes are returned like any other.
    public func next() async -> [Ended] {
        // The caller keeps `self` alive for the call, so `deinit` never runs under a waiting reader.
        let io = self.io
        let groupID = self.groupID
        let ids = self.ids
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                io.next(group: groupID, continuation: continuation)
            }
        } onCancel: {
            io.cancel(ids)
        }
    }

    deinit {
        io.discard(group: groupID, ids: ids)
    }

    /// Fails every request still running with `.cancelled`, at once.
    public func cancel() {
        io.cancel(ids)
    }
}
