import EISBackend
import EISCore
import Logging

/// The fan-out and failover engine: sends the shares of one sharing, each to its own backend in
/// its own trust domain, and collects their partial products.
///
/// Placement and failover keep docs/ARCHITECTURE.md's invariant 1: when a backend fails, the
/// *same* share goes to a spare that holds no other share of this sharing and is in no trust
/// domain that does. With no such spare the send fails, and the round may draw a fresh sharing.
/// A call slower than its backend's p95 gets a hedge (the same share on a spare) when hedging is
/// on. This is the one way shares leave the gateway: every round of every model, cover batches
/// included, goes through `send`.
///
/// Every call is a child task that awaits `Backend.evaluate`; the transport takes the requests
/// started together in one submission, so the concurrency costs no extra wakeups of its thread.
struct FanOut: Sendable {
    /// The model whose backends these are (its name for metrics, its layers for verification).
    let model: GatewayModel
    /// The pool the shares are placed on.
    let backends: ModelBackends
    let metrics: GatewayMetrics
    let logger: Logger
    /// Longest wait for one backend call, so a hung backend leaves time to fail over.
    let backendTimeout: Duration
    /// Whether a call slower than its backend's p95 gets a hedge.
    let hedging: Bool

    /// One backend's answer to one share.
    typealias Partial = (partial: ShareMatrix, member: Int)

    /// Sends share `i` of `shares` to its own backend, concurrently, failing over share by share.
    ///
    /// - Parameters:
    ///   - shares: one batch per share of a sharing, all for the same layer and of equal rows.
    ///   - outputs: the layer's output width (every partial must be `[rows, outputs]`).
    ///   - failedBackends: backends that failed this request; grows with new failures, so a fresh
    ///     sharing avoids them.
    /// - Returns: one partial per share, in share order, or the error that left a share unanswered.
    func send(
        _ shares: [ShareBatch], outputs: Int, deadline: ContinuousClock.Instant, failedBackends: inout Set<Int>
    ) async -> Result<[Partial], BackendError> {
        guard let placement = backends.place(count: shares.count, excluding: failedBackends) else {
            return .failure(.unavailable("fewer than \(shares.count) usable backends in distinct trust domains"))
        }
        // Every backend that has been sent share i (it may hold it even if its call failed).
        var holders = placement.map { Set([$0]) }
        var received = Set(placement)
        var failed = failedBackends
        let result = await withTaskGroup(of: (share: Int, member: Int, outcome: CallOutcome).self) { group in
            // The backends currently computing each share (more than one while a hedge runs).
            var inFlight = [Set<Int>](repeating: [], count: shares.count)
            func start(share: Int, on member: Int) {
                let batch = shares[share]
                inFlight[share].insert(member)
                group.addTask { (share, member, await self.call(member, batch: batch, outputs: outputs, deadline: deadline)) }
                // Hedging: if this backend is slower than its own p95 this time, a spare gets the same share.
                if hedging, let delay = backends.hedgeDelay(member) {
                    group.addTask {
                        try? await Task.sleep(for: delay)
                        return (share, member, .hedgeDue)
                    }
                }
            }
            /// A backend that may take share `share`: it holds no share of this sharing, has not
            /// failed, and is in no trust domain that holds another share.
            func spare(for share: Int) -> Int? {
                let otherDomains = Set(holders.indices.filter { $0 != share }.flatMap { holders[$0] }
                    .map { backends.members[$0].endpoint.trustDomain })
                guard ContinuousClock.now < deadline,
                      let chosen = backends.place(count: 1, excluding: received.union(failed), avoidingDomains: otherDomains)?.first
                else { return nil }
                holders[share].insert(chosen)
                received.insert(chosen)
                return chosen
            }
            for (share, member) in placement.enumerated() { start(share: share, on: member) }
            var partials = [Partial?](repeating: nil, count: shares.count)
            var answered = 0
            var failure: BackendError?
            while failure == nil && answered < shares.count, let (share, member, outcome) = await group.next() {
                switch outcome {
                case .hedgeDue:
                    // Only when the call that set this timer is still the only one on its share.
                    guard partials[share] == nil, inFlight[share] == [member], let hedge = spare(for: share) else { continue }
                    metrics.recordHedge(model: model.name)
                    start(share: share, on: hedge)
                case .answered(let partial, let latency):
                    backends.finish(member, outcome: .success(latency: latency))
                    inFlight[share].remove(member)
                    guard partials[share] == nil else { continue }
                    partials[share] = (partial, member)
                    answered += 1
                case .failed(let error, let blamesBackend, let elapsed):
                    inFlight[share].remove(member)
                    if error.isCancelled || Task.isCancelled {
                        // The request itself was cancelled: stop, and blame no backend.
                        backends.finish(member, outcome: .abandoned(after: elapsed))
                        failure = error
                        continue
                    }
                    backends.finish(member, outcome: blamesBackend ? .failed(with: error) : .abandoned(after: elapsed))
                    failed.insert(member)
                    // Answered already, or a hedge for it is still running: nothing to do.
                    guard partials[share] == nil, inFlight[share].isEmpty else { continue }
                    if let replacement = spare(for: share) {
                        metrics.recordFailover(model: model.name, reason: error.shortDescription)
                        start(share: share, on: replacement)
                    } else {
                        failure = error
                    }
                }
            }
            // Cancel what is left (losing hedges, hedge timers, or the rest after a failure) and
            // give every placed call back to the pool.
            group.cancelAll()
            while let (_, member, outcome) = await group.next() {
                finishLeftover(outcome, member: member, failed: &failed)
            }
            if answered == shares.count { return Result<[Partial], BackendError>.success(partials.compactMap { $0 }) }
            return .failure(failure ?? .unavailable("no answer"))
        }
        failedBackends = failed
        return result
    }
}

extension FanOut {
    /// Gives a call that ended after the send stopped waiting for it back to the pool.
    func finishLeftover(_ outcome: CallOutcome, member: Int, failed: inout Set<Int>) {
        switch outcome {
        case .hedgeDue: break
        case .answered(_, let latency): backends.finish(member, outcome: .success(latency: latency))
        case .failed(let error, let blamesBackend, let elapsed):
            if blamesBackend {
                // It failed on its own after the request had stopped waiting for it (another
                // share failed with no spare, or a losing hedge timed out): it counts against
                // the backend, and a fresh sharing avoids it.
                failed.insert(member)
                backends.finish(member, outcome: .failed(with: error))
            } else {
                // Cut short: its time so far is a lower bound on its latency. Keep it, so the
                // p95 that hedging uses is not biased towards the calls that won.
                backends.finish(member, outcome: .abandoned(after: elapsed))
            }
        }
    }
}

extension PoolStateMachine.Outcome {
    /// How the pool counts a call that failed with `error`: a wrong result ejects at once.
    ///
    /// Not named `failure(_:)`: beside the `.failure` case, a call site that lost its argument
    /// would still compile and count a lie as an ordinary failure, without the instant ejection.
    static func failed(with error: BackendError) -> Self { error.isWrongResult ? .wrongResult : .failure }
}
