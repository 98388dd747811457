import CCurl
import Foundation
import Logging
import Synchronization

/// The thread-safe front of the I/O thread: the locked inbox that Swift tasks post to, the registry of
/// waiting continuations, and the thread itself. Everything that touches curl lives in `MultiDriver`,
/// which runs only on the thread started here.
///
/// Every continuation is resumed exactly once because resuming always starts by removing it from
/// `state.continuations` under the lock: whichever of completion, cancellation, shutdown or a
/// rejected submission removes it is the one that resumes it.
final class CurlIOThread: Sendable {
    /// How a caller waits for its transfer; a Result keeps the error type exact (`TransportError`).
    typealias Continuation = CheckedContinuation<Result<HTTPClientResponse, TransportError>, Never>

    /// A request handed from a task to the I/O thread.
    struct Submission: Sendable {
        var id: UInt64
        var request: HTTPClientRequest
        var deadline: ContinuousClock.Instant
    }

    /// What the I/O thread takes from the inbox in one go.
    struct Work {
        var submissions: [Submission]
        var cancellations: [UInt64]
    }

    /// The multi handle, for `curl_multi_wakeup` only, which libcurl documents as callable from any
    /// thread. Safe to send because of the `state` mutex: it is stored there only while the handle is
    /// alive, wakeups are sent while holding that mutex, and the I/O thread removes it under the same
    /// mutex before calling curl_multi_cleanup.
    struct WakeupHandle: @unchecked Sendable {
        let multi: UnsafeMutableRawPointer

        func wake() {
            _ = curl_multi_wakeup(multi)
        }
    }

    /// Everything shared between tasks and the I/O thread, guarded by `state`.
    struct State {
        var continuations: [UInt64: Continuation] = [:]
        var submissions: [Submission] = []
        var cancellations: [UInt64] = []
        /// Non-nil once stopped: the error every later request gets (`.shutdown`, or an init failure).
        var stoppedWith: TransportError?
        var wakeup: WakeupHandle?
    }

    let configuration: CurlHTTPClient.Configuration
    private let state = Mutex(State())
    private let lastID = Atomic<UInt64>(0)
    /// Sum of CURLINFO_NUM_CONNECTS over finished transfers: connections curl had to open.
    let connectionsOpened = Atomic<Int>(0)
    static let logger = Logger(label: "eis.curl-transport")

    /// Starts the I/O thread; it runs until `shutdown()`.
    init(configuration: CurlHTTPClient.Configuration) {
        self.configuration = configuration
        let thread = Thread { [self] in
            self.runOnIOThread()
        }
        thread.name = "eis-curl-io"
        thread.start()
    }

    /// A fresh transfer id.
    func makeID() -> UInt64 {
        lastID.wrappingAdd(1, ordering: .relaxed).newValue
    }

    // MARK: Called from tasks (never touch curl beyond a wakeup)

    /// Registers the continuation and queues the request, or resumes at once if stopped or cancelled.
    ///
    /// Checking `Task.isCancelled` under the lock closes the race with `cancel(_:)`: the cancelled flag
    /// is set before the cancellation handler runs, so either this sees it, or the handler runs after
    /// the registration and finds the continuation.
    func submit(_ submission: Submission, continuation: Continuation) {
        let rejection: TransportError? = state.withLock { state in
            if let stopped = state.stoppedWith {
                return stopped
            }
            if Task.isCancelled {
                return .cancelled
            }
            state.continuations[submission.id] = continuation
            state.submissions.append(submission)
            state.wakeup?.wake()
            return nil
        }
        if let rejection {
            continuation.resume(returning: .failure(rejection))
        }
    }

    /// Fails the transfer with `.cancelled` now and asks the I/O thread to detach it from curl.
    func cancel(_ id: UInt64) {
        let continuation: Continuation? = state.withLock { state in
            guard let continuation = state.continuations.removeValue(forKey: id) else { return nil }
            state.cancellations.append(id)
            state.wakeup?.wake()
            return continuation
        }
        continuation?.resume(returning: .failure(.cancelled))
    }

    /// Fails every waiting request with `.shutdown` and tells the thread to stop; returns false if already stopped.
    @discardableResult
    func shutdown() -> Bool {
        stop(with: .shutdown)
    }

    // MARK: Called from the I/O thread

    /// Hands the inbox to the I/O thread; nil once stopped. Queued requests whose continuation is gone
    /// (cancelled before curl saw them) are dropped here.
    func takeWork() -> Work? {
        state.withLock { state in
            guard state.stoppedWith == nil else { return nil }
            let submissions = state.submissions.filter { state.continuations[$0.id] != nil }
            let work = Work(submissions: submissions, cancellations: state.cancellations)
            state.submissions.removeAll(keepingCapacity: true)
            state.cancellations.removeAll(keepingCapacity: true)
            return work
        }
    }

    /// Resumes the caller of transfer `id`, unless cancellation or shutdown already did.
    func complete(_ id: UInt64, with result: Result<HTTPClientResponse, TransportError>) {
        let continuation = state.withLock { $0.continuations.removeValue(forKey: id) }
        continuation?.resume(returning: result)
    }

    /// Stops accepting work and fails everyone waiting with `error`; idempotent.
    @discardableResult
    private func stop(with error: TransportError) -> Bool {
        let waiting: [Continuation]? = state.withLock { state in
            guard state.stoppedWith == nil else { return nil }
            state.stoppedWith = error
            let waiting = Array(state.continuations.values)
            state.continuations.removeAll()
            state.submissions.removeAll()
            state.cancellations.removeAll()
            state.wakeup?.wake()
            return waiting
        }
        guard let waiting else { return false }
        for continuation in waiting {
            continuation.resume(returning: .failure(error))
        }
        return true
    }

    /// The thread body: sets up curl, runs the loop until stopped, then frees curl state here.
    private func runOnIOThread() {
        Self.blockSIGPIPE()
        let global = CurlGlobal.initResult
        guard global == CURLE_OK else {
            Self.logger.error("curl_global_init failed", metadata: ["code": "\(global.rawValue)"])
            stop(with: TransportError(curlCode: global))
            return
        }
        guard let multi = curl_multi_init() else {
            Self.logger.error("curl_multi_init failed")
            stop(with: TransportError(curlCode: CURLE_OUT_OF_MEMORY))
            return
        }
        let driver = MultiDriver(multi: multi, inbox: self)
        state.withLock { $0.wakeup = WakeupHandle(multi: multi) }
        driver.run()
        // After this no thread can call curl_multi_wakeup, so the handle may be freed.
        state.withLock { $0.wakeup = nil }
        driver.close()
    }

    /// A write to a connection the peer closed raises SIGPIPE, which would kill the process; blocked on
    /// this thread (the one doing the writes), the write fails with EPIPE instead and curl reports it.
    private static func blockSIGPIPE() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }
}
