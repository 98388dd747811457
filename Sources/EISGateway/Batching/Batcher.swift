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
/// - **Errors**: a batch-level failure (503, 504) answers every request still waiting in it.
///
/// Every request gets exactly one answer (DESIGN.md, invariant 4): see `BatchWaiter`.
final class Batcher: Sendable {
    /// The model's pipeline; every batch is one call of `infer(prepared:deadline:)`.
    let pipeline: InferencePipeline
    /// Longest wait in the queue.
    let maxDelay: Duration
    private let metrics: GatewayMetrics
    // Guarded by the Mutex: the queue and the next waiter id.
    private let state: Mutex<(queue: BatchQueue<BatchWaiter>, nextID: UInt64)>

    /// Creates a batcher for one model's pipeline.
    ///
    /// - Precondition: `maxBatch ≥ 1`, `maxDelay ≥ 0` (checked by the configuration's validation).
    init(pipeline: InferencePipeline, maxBatch: Int, maxDelay: Duration, metrics: GatewayMetrics) {
        precondition(maxDelay >= .zero, "maxDelay must not be negative")
        self.pipeline = pipeline
        self.maxDelay = maxDelay
        self.metrics = metrics
        self.state = Mutex((queue: BatchQueue(maxBatch: maxBatch), nextID: 0))
    }

    /// Runs checked and encoded rows, alone or in a batch with other requests' rows.
    ///
    /// - Returns: exactly this request's output rows, in order.
    /// - Throws: `GatewayError`: 503 or 504 from the batch, 504 at this request's own deadline,
    ///   499 when the calling task is cancelled.
    func infer(_ rows: ShareMatrix, deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        let (waiter, admission) = state.withLock { state in
            state.nextID += 1
            let waiter = BatchWaiter(id: state.nextID, rows: rows, deadline: deadline)
            return (waiter, state.queue.admit(id: waiter.id, rows: rows.rows, item: waiter))
        }
        switch admission {
        case .runAlone:
            defer { finished() }
            metrics.recordBatchRequests(model: pipeline.model.name, requests: 1)
            return try await pipeline.infer(prepared: rows, deadline: deadline)
        case .queued(let flush):
            if let flush { start(flush) }
            return try await wait(for: waiter).get()
        }
    }

    /// Waits for a queued request's answer while its own timers run: the flush timer, then the
    /// deadline. Cancellation answers it at once and takes it out of the queue.
    private func wait(for waiter: BatchWaiter) async -> BatchWaiter.Answer {
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self, returning: BatchWaiter.Answer.self) { group in
                group.addTask { await self.runTimers(of: waiter) }
                let answer = await waiter.value()
                group.cancelAll()
                return answer
            }
        } onCancel: {
            withdraw(waiter, answer: .clientClosedRequest("the client went away while its request waited for a batch"))
        }
    }

    /// Flushes the queue when `waiter` has waited `maxDelay`, and answers it 504 at its deadline.
    /// Both end early (doing nothing) once the waiter has its answer.
    private func runTimers(of waiter: BatchWaiter) async {
        let flushAt = waiter.enqueued + maxDelay
        if flushAt < waiter.deadline {
            do { try await Task.sleep(until: flushAt) } catch { return }
            if let batch = state.withLock({ $0.queue.flushTimerFired(for: waiter.id) }) { start(batch) }
        }
        do { try await Task.sleep(until: waiter.deadline) } catch { return }
        withdraw(waiter, answer: Self.deadlinePassed(pipeline.model.name))
    }

    /// The 504 for a request whose own deadline passed while it waited for a batch.
    private static func deadlinePassed(_ model: String) -> GatewayError {
        .deadlineExceeded("model '\(model)': the deadline passed before the batch answered")
    }

    /// Takes a waiter out of the queue, if it is still there, and answers it with `error`.
    private func withdraw(_ waiter: BatchWaiter, answer error: GatewayError) {
        state.withLock { _ = $0.queue.remove(id: waiter.id) }
        waiter.answer(.failure(error))
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
        // Requests whose deadline has passed are answered now, even if their own timer has not
        // fired yet (a busy machine runs timers late): their rows never leave the gateway.
        let now = ContinuousClock.now
        for waiter in batch where waiter.deadline <= now { waiter.answer(.failure(Self.deadlinePassed(pipeline.model.name))) }
        // Requests that timed out or left after the batch formed need no rows computed.
        let live = batch.filter { !$0.isAnswered }
        guard let deadline = live.map(\.deadline).max() else { return }
        metrics.recordBatchRequests(model: pipeline.model.name, requests: live.count)
        do throws(GatewayError) {
            let outputs = try await pipeline.infer(prepared: .stacking(live.map(\.rows)), deadline: deadline)
            var offset = 0
            for waiter in live {
                let count = waiter.rows.rows
                waiter.answer(.success(Array(outputs[offset..<(offset + count)])))
                offset += count
            }
        } catch {
            for waiter in live { waiter.answer(.failure(error)) }
        }
    }

    /// Requests waiting in the queue now (for tests and diagnostics).
    var queuedRequests: Int { state.withLock { $0.queue.queued.count } }

    /// A batch or lone request ended; start the queue when it was the last in flight.
    private func finished() {
        if let next = state.withLock({ $0.queue.finished() }) { start(next) }
    }
}
