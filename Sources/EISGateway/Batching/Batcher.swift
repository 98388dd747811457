import EISBackend
import Synchronization

/// Coalesces concurrent requests for one model into one sharing per backend.
///
/// A request arrives with its rows already checked and encoded (`InferencePipeline.prepare`),
/// so a bad request is refused before it can share a batch with others. `BatchQueue` decides
/// when a batch leaves; this class carries that out:
///
/// - **Alone**: a request that runs alone runs in its own task, exactly as without batching.
/// - **Together**: a batch of queued requests runs in a task of its own, so that one client
///   going away cannot cancel the batch for the others. Each request waits only for its own
///   answer.
/// - **Deadlines**: each waiting request keeps its own deadline: when it passes, the request is
///   answered 504 at once, whether still queued (it then leaves the queue) or in a batch that
///   goes on for the others. A batch runs until the latest deadline among its requests, so no
///   request is cut short by another's earlier deadline.
/// - **Timers**: one per queue (held by its first request) and one per batch whose requests'
///   deadlines differ, not one per request: timers cost a thread wake-up each, and at high
///   concurrency they were a large part of the gateway's CPU time.
/// - **Errors**: a batch-level failure (503, 504) answers every request still waiting in it.
///
/// Every request gets exactly one answer (docs/ARCHITECTURE.md, invariant 4): see `BatchWaiter`.
final class Batcher: Sendable {
    /// The model's pipeline; every batch is one call of `infer(prepared:deadline:)`.
    let pipeline: InferencePipeline
    /// Most real rows in one batch.
    let maxBatch: Int
    /// Longest wait in the queue.
    let maxDelay: Duration
    private let metrics: GatewayMetrics

    private struct State {
        var queue: BatchQueue<BatchWaiter>
        var nextID: UInt64 = 0
        /// When the current queue's timer fires (nil with an empty queue).
        var queueFlushAt: ContinuousClock.Instant?
    }

    // Guarded by the Mutex: the queue, the next waiter id, the queue's timer.
    private let state: Mutex<State>

    /// Creates a batcher for one model's pipeline.
    ///
    /// - Precondition: `maxBatch ≥ 1`, `maxDelay ≥ 0` (checked by the configuration's validation).
    init(pipeline: InferencePipeline, maxBatch: Int, maxDelay: Duration, metrics: GatewayMetrics) {
        precondition(maxDelay >= .zero, "maxDelay must not be negative")
        self.pipeline = pipeline
        self.maxBatch = maxBatch
        self.maxDelay = maxDelay
        self.metrics = metrics
        self.state = Mutex(State(queue: BatchQueue(maxBatch: maxBatch)))
    }

    /// A timer a queued request runs while it waits.
    private enum WaitTimer {
        /// None: the queue's timer comes before this request's deadline.
        case none
        /// The queue's timer: when it fires, the queue leaves.
        case flushQueue(at: ContinuousClock.Instant)
        /// This request's deadline comes before the queue's timer: when it fires, it leaves the queue.
        case expire(at: ContinuousClock.Instant)
    }

    /// Runs checked and encoded rows, alone or in a batch with other requests' rows.
    ///
    /// - Returns: exactly this request's output rows, in order.
    /// - Throws: `GatewayError`: 503 or 504 from the batch, 504 at this request's own deadline,
    ///   499 when the calling task is cancelled.
    func infer(_ rows: ShareMatrix, deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        let now = ContinuousClock.now
        let (waiter, admission, timer) = state.withLock { state -> (BatchWaiter, BatchQueue<BatchWaiter>.Admission, WaitTimer) in
            state.nextID += 1
            let waiter = BatchWaiter(id: state.nextID, rows: rows, deadline: deadline, enqueued: now)
            let admission = state.queue.admit(id: waiter.id, rows: rows.rows, item: waiter)
            var timer = WaitTimer.none
            if case .queued(let flush, let startsTimer) = admission {
                // A flush emptied the queue: its timer is for no one now.
                if flush != nil { state.queueFlushAt = nil }
                if startsTimer {
                    let flushAt = min(now + maxDelay, deadline)
                    state.queueFlushAt = flushAt
                    timer = .flushQueue(at: flushAt)
                } else if let flushAt = state.queueFlushAt, deadline < flushAt {
                    timer = .expire(at: deadline)
                }
            }
            return (waiter, admission, timer)
        }
        switch admission {
        case .runAlone:
            defer { finished() }
            metrics.recordBatchRequests(model: pipeline.model.name, requests: 1)
            return try await pipeline.infer(prepared: rows, deadline: deadline)
        case .queued(let flush, _):
            if let flush { start(flush) }
            return try await wait(for: waiter, timer: timer).get()
        }
    }

    /// Waits for a queued request's answer, running its timer if it has one. Cancellation
    /// answers it at once and takes it out of the queue.
    private func wait(for waiter: BatchWaiter, timer: WaitTimer) async -> BatchWaiter.Answer {
        await withTaskCancellationHandler {
            guard case .none = timer else {
                return await withTaskGroup(of: Void.self, returning: BatchWaiter.Answer.self) { group in
                    group.addTask { await self.run(timer, of: waiter) }
                    let answer = await waiter.value()
                    group.cancelAll()
                    return answer
                }
            }
            return await waiter.value()
        } onCancel: {
            withdraw(waiter, answer: .clientClosedRequest("the client went away while its request waited for a batch"))
        }
    }

    /// Sleeps until the timer's instant, then does what it is for; ends early once the waiter
    /// has its answer.
    private func run(_ timer: WaitTimer, of waiter: BatchWaiter) async {
        switch timer {
        case .none:
            return
        case .flushQueue(let at):
            do { try await Task.sleep(until: at) } catch { return }
            let batch = state.withLock { state -> [BatchWaiter]? in
                guard let batch = state.queue.flushTimerFired(for: waiter.id) else { return nil }
                state.queueFlushAt = nil
                return batch
            }
            if let batch { start(batch) }
        case .expire(let at):
            do { try await Task.sleep(until: at) } catch { return }
            withdraw(waiter, answer: Self.deadlinePassed(pipeline.model.name))
        }
    }

    /// Takes a waiter out of the queue, if it is still there, and answers it with `error`.
    private func withdraw(_ waiter: BatchWaiter, answer error: GatewayError) {
        let orphans = state.withLock { state -> [BatchWaiter]? in
            guard let rest = state.queue.remove(id: waiter.id) else { return nil }
            state.queueFlushAt = nil
            return rest
        }
        waiter.answer(.failure(error))
        // It held the queue's timer: the others leave now rather than wait for no one.
        if let orphans { start(orphans) }
    }

    /// The 504 for a request whose own deadline passed while it waited for a batch.
    private static func deadlinePassed(_ model: String) -> GatewayError {
        .deadlineExceeded("model '\(model)': the deadline passed before the batch answered")
    }

    /// Starts a batch in a task of its own.
    ///
    /// An unstructured task on purpose: the batch belongs to all its requests, so no single
    /// request's task may own it, or that client's cancellation would reach the backend calls
    /// of every other request in it. It is bounded by the latest deadline of its requests.
    private func start(_ batch: [BatchWaiter]) {
        Task { await self.run(batch) }
    }

    /// Runs one batch and answers each request with its own rows.
    private func run(_ batch: [BatchWaiter]) async {
        defer { finished() }
        // Requests whose deadline has passed are answered now, even if no timer has fired yet
        // (a busy machine runs timers late): their rows never leave the gateway.
        let now = ContinuousClock.now
        for waiter in batch where waiter.deadline <= now { waiter.answer(.failure(Self.deadlinePassed(pipeline.model.name))) }
        // Requests that timed out or left after the batch formed need no rows computed.
        let live = batch.filter { !$0.isAnswered }
        guard let latest = live.map(\.deadline).max(), let earliest = live.map(\.deadline).min() else { return }
        metrics.recordBatchRequests(model: pipeline.model.name, requests: live.count)
        let rows = ShareMatrix.stacking(live.map(\.rows))
        let outcome: BatchWaiter.Answer
        if earliest == latest {
            outcome = await infer(rows, deadline: latest)
        } else {
            // Requests with earlier deadlines get their 504 at them while the batch goes on.
            outcome = await withTaskGroup(of: BatchWaiter.Answer?.self) { group in
                group.addTask { await self.infer(rows, deadline: latest) }
                group.addTask {
                    await self.answerAtTheirDeadlines(live, before: latest)
                    return nil
                }
                var outcome: BatchWaiter.Answer = .failure(Self.deadlinePassed(pipeline.model.name))
                while let next = await group.next() {
                    if let next {
                        outcome = next
                        group.cancelAll()
                    }
                }
                return outcome
            }
        }
        switch outcome {
        case .success(let outputs):
            var offset = 0
            for waiter in live {
                let count = waiter.rows.rows
                waiter.answer(.success(Array(outputs[offset..<(offset + count)])))
                offset += count
            }
        case .failure:
            for waiter in live { waiter.answer(outcome) }
        }
    }

    /// One pipeline call, as a Result.
    private func infer(_ rows: ShareMatrix, deadline: ContinuousClock.Instant) async -> BatchWaiter.Answer {
        do throws(GatewayError) {
            return .success(try await pipeline.infer(prepared: rows, deadline: deadline))
        } catch {
            return .failure(error)
        }
    }

    /// Answers each waiter 504 at its deadline, for deadlines before `latest`; returns early
    /// when cancelled (the batch answered first).
    private func answerAtTheirDeadlines(_ waiters: [BatchWaiter], before latest: ContinuousClock.Instant) async {
        for deadline in Set(waiters.map(\.deadline)).filter({ $0 < latest }).sorted() {
            do { try await Task.sleep(until: deadline) } catch { return }
            for waiter in waiters where waiter.deadline == deadline {
                waiter.answer(.failure(Self.deadlinePassed(pipeline.model.name)))
            }
        }
    }

    /// Requests waiting in the queue now (for tests and diagnostics).
    var queuedRequests: Int { state.withLock { $0.queue.queued.count } }

    /// A batch or lone request ended; start the queue when it was the last in flight.
    private func finished() {
        let next = state.withLock { state -> [BatchWaiter]? in
            guard let next = state.queue.finished() else { return nil }
            state.queueFlushAt = nil
            return next
        }
        if let next { start(next) }
    }
}
