import EISBackend
import Synchronization

/// One queued request: its encoded rows, its deadline, and the one answer it will get.
///
/// The answer is set exactly once (docs/ARCHITECTURE.md, invariant 4) by whichever comes first: the
/// batch's result, the request's own deadline, or its client going away. Later attempts are
/// ignored, so a batch that ends after a request timed out cannot answer it twice.
final class BatchWaiter: Sendable {
    /// The answer: this request's output rows, or the error it gets.
    typealias Answer = Result<[[Double]], GatewayError>

    private enum State {
        /// No answer yet; the continuation is set once the request awaits it.
        case pending(CheckedContinuation<Answer, Never>?)
        case answered(Answer)
    }

    /// Unique within its batcher.
    let id: UInt64
    /// The request's rows, already checked and encoded.
    let rows: ShareMatrix
    /// When the request must be answered.
    let deadline: ContinuousClock.Instant
    /// When it joined the queue (its flush timer starts here).
    let enqueued: ContinuousClock.Instant
    // Guarded by the Mutex: whether the answer is set, and who waits for it.
    private let state = Mutex(State.pending(nil))

    /// Creates a waiter with no answer yet.
    init(id: UInt64, rows: ShareMatrix, deadline: ContinuousClock.Instant, enqueued: ContinuousClock.Instant = .now) {
        self.id = id
        self.rows = rows
        self.deadline = deadline
        self.enqueued = enqueued
    }

    /// Whether the answer is set.
    var isAnswered: Bool {
        state.withLock { if case .answered = $0 { true } else { false } }
    }

    /// Sets the answer unless one is set already.
    ///
    /// - Returns: whether this call set it.
    @discardableResult
    func answer(_ answer: Answer) -> Bool {
        let (set, continuation) = state.withLock { state -> (Bool, CheckedContinuation<Answer, Never>?) in
            guard case .pending(let continuation) = state else { return (false, nil) }
            state = .answered(answer)
            return (true, continuation)
        }
        // Resumed outside the lock: resuming may run the waiting task's code at once.
        continuation?.resume(returning: answer)
        return set
    }

    /// Waits for the answer. Call it at most once.
    func value() async -> Answer {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Answer? in
                switch state {
                case .answered(let answer): return answer
                case .pending: state = .pending(continuation); return nil
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
