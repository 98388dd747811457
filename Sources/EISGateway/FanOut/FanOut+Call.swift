import Dispatch
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
    /// share, its partial checked when the layer is verified (docs/VERIFICATION.md), judged and
    /// recorded.
    func call(_ memberIndex: Int, batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async -> CallOutcome {
        let backend = backends.members[memberIndex]
        let start = ContinuousClock.now
        let callDeadline = min(deadline, start + backendTimeout)
        var result: Result<ShareMatrix, BackendError>
        do throws(BackendError) {
            try await backends.ensureVerified(memberIndex, against: model, deadline: callDeadline, logger: logger)
            result = .success(try await backend.evaluate(batch, outputs: outputs, deadline: callDeadline))
        } catch {
            result = .failure(error)
        }
        // A partial of the wrong shape is judged a bad response; only a well-formed one is checked.
        if case .success(.ring(let partial)) = result, case .ring(let shares) = batch.shares, let check = model.checks[batch.layer],
           partial.rows == shares.rows, partial.columns == check.outputs, shares.columns == check.inputs,
           !(await Self.accepts(partial, for: shares, by: check)) {
            result = .failure(.wrongResult("\(backend.endpoint.name): the partial for layer '\(batch.layer)' failed verification"))
        }
        return judge(result, member: memberIndex, batch: batch, outputs: outputs,
                     elapsed: ContinuousClock.now - start, callDeadline: callDeadline, deadline: deadline)
    }

    /// Turns what a backend call returned into its outcome, and records it: metrics, the
    /// backend's last failure, a log line when the backend is to blame.
    private func judge(
        _ result: Result<ShareMatrix, BackendError>, member memberIndex: Int, batch: ShareBatch, outputs: Int,
        elapsed: Duration, callDeadline: ContinuousClock.Instant, deadline: ContinuousClock.Instant
    ) -> CallOutcome {
        // The name once: `endpoint` is a protocol requirement, so every read copies the whole
        // endpoint (URL, TLS options, headers) out of the plugin.
        let name = backends.members[memberIndex].endpoint.name
        let rows = batch.shares.rows
        do throws(BackendError) {
            let partial = try result.get()
            guard partial.rows == rows, partial.columns == outputs, partial.fits(model.arithmetic) else {
                // A plugin bug, not a server's: the Backend contract says evaluate checks this.
                throw BackendError.badResponse("\(name): plugin returned \(partial.rows)×\(partial.columns), expected \(rows)×\(outputs) \(model.arithmetic)")
            }
            metrics.recordBackendCall(backend: name, outcome: "ok", duration: elapsed)
            metrics.setBackendUp(name, true)
            backends.recordSuccess(memberIndex)
            return .answered(partial, latency: elapsed.seconds)
        } catch {
            metrics.recordBackendCall(backend: name, outcome: error.shortDescription, duration: elapsed)
            let cutByRequestDeadline = error.isTimeout && callDeadline == deadline
            let blamesBackend = !error.isCancelled && !cutByRequestDeadline
            if blamesBackend {
                metrics.setBackendUp(name, false)
                backends.recordFailure(memberIndex, error)
                if error.isWrongResult {
                    // Names the backend and the layer, never a value.
                    metrics.recordVerificationFailure(model: model.name, layer: batch.layer, backend: name)
                    logger.error("backend returned a wrong partial", metadata: [
                        "backend": "\(name)", "model": "\(model.name)", "layer": "\(batch.layer)",
                    ])
                } else {
                    logger.warning("backend call failed", metadata: ["backend": "\(name)", "error": "\(error.description)"])
                }
            }
            return .failed(error, blamesBackend: blamesBackend, elapsed: elapsed.seconds)
        }
    }
}

extension FanOut {
    /// Multiply-adds above which a check runs on a dispatch queue rather than a cooperative
    /// thread (docs/ARCHITECTURE.md, invariant 6).
    static let inlineCheckWork = 1 << 20

    /// Runs `check` on a partial: inline when small, off the cooperative pool when large.
    static func accepts(_ partial: Matrix<Int64>, for shares: Matrix<Int64>, by check: FreivaldsCheck) async -> Bool {
        await offPoolWhenLarge(work: shares.rows * check.count * (check.inputs + check.outputs)) {
            check.accepts(partial, for: shares)
        }
    }

    /// Runs `body`, `work` multiply-adds: inline when small, on a dispatch queue when large, so
    /// no cooperative thread computes for milliseconds (docs/ARCHITECTURE.md, invariant 6).
    static func offPoolWhenLarge<T: Sendable>(work: Int, _ body: @escaping @Sendable () -> T) async -> T {
        guard work > inlineCheckWork else { return body() }
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
