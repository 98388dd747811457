import EISBackend
import EISCore
import Logging

extension FanOut {
    /// How one backend call ended (or that a hedge is due).
    enum CallOutcome: Sendable {
        case answered(ShareMatrix, latency: Double)
        /// `blamesBackend` is false when the request's own deadline, not the backend's
        /// timeout, cut the call short: that says nothing about the backend.
        case failed(BackendError, blamesBackend: Bool, elapsed: Double)
        /// The call on this share has run past its backend's p95: time to hedge.
        case hedgeDue
    }

    /// One backend call: verification of every layer of the model on first use, then the
    /// share, judged and recorded.
    func call(_ memberIndex: Int, batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async -> CallOutcome {
        let backend = backends.members[memberIndex]
        let start = ContinuousClock.now
        let callDeadline = min(deadline, start + backendTimeout)
        let result: Result<ShareMatrix, BackendError>
        do throws(BackendError) {
            try await backends.ensureVerified(memberIndex, against: model, deadline: callDeadline, logger: logger)
            result = .success(try await backend.evaluate(batch, outputs: outputs, deadline: callDeadline))
        } catch {
            result = .failure(error)
        }
        return judge(result, member: memberIndex, rows: batch.shares.rows, outputs: outputs,
                     elapsed: ContinuousClock.now - start, callDeadline: callDeadline, deadline: deadline)
    }

    /// Turns what a backend call returned into its outcome, and records it: metrics, the
    /// backend's last failure, a log line when the backend is to blame.
    private func judge(
        _ result: Result<ShareMatrix, BackendError>, member memberIndex: Int, rows: Int, outputs: Int,
        elapsed: Duration, callDeadline: ContinuousClock.Instant, deadline: ContinuousClock.Instant
    ) -> CallOutcome {
        let backend = backends.members[memberIndex]
        do throws(BackendError) {
            let partial = try result.get()
            guard partial.rows == rows, partial.columns == outputs, partial.fits(model.arithmetic) else {
                // A plugin bug, not a server's: the Backend contract says evaluate checks this.
                throw BackendError.badResponse("\(backend.endpoint.name): plugin returned \(partial.rows)×\(partial.columns), expected \(rows)×\(outputs) \(model.arithmetic)")
            }
            metrics.recordBackendCall(backend: backend.endpoint.name, outcome: "ok", duration: elapsed)
            metrics.setBackendUp(backend.endpoint.name, true)
            backends.recordSuccess(memberIndex)
            return .answered(partial, latency: elapsed.seconds)
        } catch {
            metrics.recordBackendCall(backend: backend.endpoint.name, outcome: error.shortDescription, duration: elapsed)
            let cutByRequestDeadline = error.isTimeout && callDeadline == deadline
            let blamesBackend = !error.isCancelled && !cutByRequestDeadline
            if blamesBackend {
                metrics.setBackendUp(backend.endpoint.name, false)
                backends.recordFailure(memberIndex, error)
                logger.warning("backend call failed", metadata: ["backend": "\(backend.endpoint.name)", "error": "\(error.description)"])
            }
            return .failed(error, blamesBackend: blamesBackend, elapsed: elapsed.seconds)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
