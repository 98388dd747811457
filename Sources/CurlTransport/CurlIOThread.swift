import CCurl
import Foundation
import Logging
import Synchronization

/// The thread-safe front of the I/O thread: the locked inbox that Swift tasks post to, the registry of
/// waiting continuations, and the thread itself. Everything that touches curl lives in `MultiDriver`,
/// which runs only on the thread started here.
///
/// Every continuation is resumed exactly once because resuming always starts by removing its
/// waiter from `state.waiters` under the lock: whichever of completion, cancellation, shutdown or a
/// rejected submission removes it is the one that resumes it. A group's reader is resumed only by
/// `State.wake`, which takes it out of the group under the same lock.
final class CurlIOThread: Sendable {
    /// How a caller waits for its transfer; a Result keeps the error type exact (`TransportError`).
    typealias Continuation = CheckedContinuation<Result<HTTPClientResponse, TransportError>, Never>
    /// How a reader of a `HTTPClientBatch` waits for its next outcomes.
    typealias GroupContinuation = CheckedContinuation<[HTTPClientBatch.Ended], Never>

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

    /// Who waits for one transfer: its own caller, or slot `index` of a group.
    enum Waiter {
        case single(Continuation)
        case grouped(group: UInt64, index: Int)
    }

    /// Transfers submitted together and read back in batches (`HTTPClientBatch`).
    struct Group {
        /// Outcomes that ended and were not read yet.
        var ended: [HTTPClientBatch.Ended]
        /// Transfers still running.
        var remaining: Int
        /// The reader waiting in `next`, if any.
        var reader: GroupContinuation?

        /// Whether a waiting reader should have what ended so far: everything ended, or
        /// something did not succeed (the reader may want to act on it at once).
        var isReady: Bool {
            remaining == 0 || ended.contains { !$0.outcome.succeeded }
        }
    }

    /// A continuation to resume once the lock is released (never resume while holding it).
    enum Resumption {
        case single(Continuation, Result<HTTPClientResponse, TransportError>)
        case group(GroupContinuation, [HTTPClientBatch.Ended])

        func resume() {
            switch self {
            case .single(let continuation, let result): continuation.resume(returning: result)
            case .group(let continuation, let ended): continuation.resume(returning: ended)
            }
        }
    }

    /// Everything shared between tasks and the I/O thread, guarded by `state`.
    struct State {
        var waiters: [UInt64: Waiter] = [:]
        var groups: [UInt64: Group] = [:]
        var submissions: [Submission] = []
        var cancellations: [UInt64] = []
        /// Non-nil once stopped: the error every later request gets (`.shutdown`, or an init failure).
        var stoppedWith: TransportError?
        var wakeup: WakeupHandle?

        /// Ends transfer `id` with `result`, if it is still waited for: removes its waiter and
        /// says which continuation to resume (for a group, only when its reader should wake).
        mutating func resolve(_ id: UInt64, with result: Result<HTTPClientResponse, TransportError>) -> Resumption? {
            switch waiters.removeValue(forKey: id) {
            case nil:
                return nil
            case .single(let continuation):
                return .single(continuation, result)
            case .grouped(let groupID, let index):
                guard var group = groups[groupID] else { return nil }
                group.ended.append(HTTPClientBatch.Ended(index: index, outcome: HTTPClientOutcome(result: result, finishedAt: .now)))
                group.remaining -= 1
                let resumption = Self.wake(&group)
                store(group, as: groupID)
                return resumption
            }
        }

        /// Wakes the I/O thread for work about to be queued, unless work is queued already: then
        /// a wakeup is pending and the thread will take everything in the inbox in one go. So
        /// requests that tasks submit while the thread is busy (the shares of one sharing, sent
        /// by concurrent tasks) reach curl in one submission, for one wakeup.
        ///
        /// Call it before appending to the inbox, under the lock.
        mutating func wakeIfIdle() {
            if submissions.isEmpty && cancellations.isEmpty { wakeup?.wake() }
        }

        /// Keeps a group until its reader has had every outcome.
        mutating func store(_ group: Group, as groupID: UInt64) {
            let exhausted = group.remaining == 0 && group.ended.isEmpty && group.reader == nil
            groups[groupID] = exhausted ? nil : group
        }

        /// Hands a group's ended outcomes to its waiting reader when it should have them.
        static func wake(_ group: inout Group) -> Resumption? {
            guard let reader = group.reader, group.isReady else { return nil }
            defer {
                group.reader = nil
                group.ended.removeAll()
            }
            return .group(reader, group.ended)
        }
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
            state.waiters[submission.id] = .single(continuation)
            state.wakeIfIdle()
            state.submissions.append(submission)
            return nil
        }
        if let rejection {
            continuation.resume(returning: .failure(rejection))
        }
    }

    /// Queues several requests under one lock and one wakeup, to be read back through
    /// `next(group:)`. Outcomes known already (requests refused before sending) are given in
    /// `ended`. When stopped or cancelled, every submission ends at once with that error.
    ///
    /// - Parameter groupID: a fresh id (`makeID()`) naming the group.
    func submit(group groupID: UInt64, _ submissions: [(index: Int, submission: Submission)], ended: [HTTPClientBatch.Ended]) {
        state.withLock { state in
            var group = Group(ended: ended, remaining: 0, reader: nil)
            let rejection: TransportError? = state.stoppedWith ?? (Task.isCancelled ? .cancelled : nil)
            if let rejection {
                let now = ContinuousClock.now
                group.ended += submissions.map { HTTPClientBatch.Ended(index: $0.index, outcome: HTTPClientOutcome(result: .failure(rejection), finishedAt: now)) }
            } else {
                group.remaining = submissions.count
                for (index, submission) in submissions {
                    state.waiters[submission.id] = .grouped(group: groupID, index: index)
                }
                if !submissions.isEmpty { state.wakeIfIdle() }
                state.submissions += submissions.map(\.submission)
            }
            state.store(group, as: groupID)
        }
    }

    /// The group's next outcomes: at once if some are ready, else once they are (see
    /// `Group.isReady`); empty when every outcome has been read. One reader at a time.
    func next(group groupID: UInt64, continuation: GroupContinuation) {
        let resumption: Resumption? = state.withLock { state in
            // No group: every outcome was read (or it ended before anything was sent).
            guard var group = state.groups[groupID] else { return .group(continuation, []) }
            group.reader = continuation
            let resumption = State.wake(&group)
            state.store(group, as: groupID)
            return resumption
        }
        resumption?.resume()
    }

    /// Forgets a group nobody will read again (its `HTTPClientBatch` was let go): transfers still
    /// running are detached from curl without resuming anyone, and outcomes not read are dropped.
    func discard(group groupID: UInt64, ids: [UInt64]) {
        state.withLock { state in
            var detaching = false
            for id in ids where state.waiters.removeValue(forKey: id) != nil {
                state.cancellations.append(id)
                detaching = true
            }
            state.groups[groupID] = nil
            if detaching { state.wakeup?.wake() }
        }
    }

    /// Groups the thread still holds: transfers running or outcomes not read.
    var heldGroups: Int { state.withLock { $0.groups.count } }

    /// Fails the transfer with `.cancelled` now and asks the I/O thread to detach it from curl.
    func cancel(_ id: UInt64) {
        cancel([id])
    }

    /// Fails every transfer of `ids` that is still running with `.cancelled`, now, and asks the
    /// I/O thread to detach them from curl.
    func cancel(_ ids: [UInt64]) {
        let resumptions: [Resumption] = state.withLock { state in
            var resumptions = [Resumption]()
            var detaching = false
            for id in ids where state.waiters[id] != nil {
                state.cancellations.append(id)
                detaching = true
                if let resumption = state.resolve(id, with: .failure(.cancelled)) { resumptions.append(resumption) }
            }
            if detaching { state.wakeup?.wake() }
            return resumptions
        }
        for resumption in resumptions { resumption.resume() }
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
            let submissions = state.submissions.filter { state.waiters[$0.id] != nil }
            let work = Work(submissions: submissions, cancellations: state.cancellations)
            state.submissions.removeAll(keepingCapacity: true)
            state.cancellations.removeAll(keepingCapacity: true)
            return work
        }
    }

    /// Resumes the caller of transfer `id`, unless cancellation or shutdown already did.
    func complete(_ id: UInt64, with result: Result<HTTPClientResponse, TransportError>) {
        state.withLock { $0.resolve(id, with: result) }?.resume()
    }

    /// Stops accepting work and fails everyone waiting with `error`; idempotent.
    @discardableResult
    private func stop(with error: TransportError) -> Bool {
        let waiting: [Resumption]? = state.withLock { state in
            guard state.stoppedWith == nil else { return nil }
            state.stoppedWith = error
            let waiting = Array(state.waiters.keys).compactMap { state.resolve($0, with: .failure(error)) }
            state.submissions.removeAll()
            state.cancellations.removeAll()
            state.wakeup?.wake()
            return waiting
        }
        guard let waiting else { return false }
        for resumption in waiting {
            resumption.resume()
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
