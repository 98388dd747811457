import EISBackend
import EISCore
import Logging
import Synchronization

/// The backends of one model: whether each has proven it serves the gateway's weights, and the
/// pool state (load, latency, ejections) that placement decides on.
///
/// No share goes to a backend until it has reported the same shape, fractional bits and weight
/// digest as the gateway's own copy; a backend that reported different ones is refused for good
/// (until the configuration is reloaded). The decisions live in `PoolStateMachine`; this class
/// holds it under a Mutex and logs what it decides.
final class ModelBackends: Sendable {
    /// What the gateway knows about one backend's weights.
    enum Status: Sendable, Equatable {
        /// Not yet checked (unreachable so far).
        case unverified
        /// Serves every layer of the model as the gateway has it.
        case verified
        /// Serves something else; never used.
        case refused(reason: String)
    }

    private struct State {
        var pool: PoolStateMachine<ContinuousClock.Instant>
        var statuses: [Status]
        /// Why each backend last failed a call or a check (nil after a success), for `/healthz`.
        var lastFailures: [String?]
    }

    /// The backends, in config order.
    let members: [any Backend]
    // Guarded by the Mutex: the pool and the verification statuses change together.
    private let state: Mutex<State>
    private let logger: Logger
    private let metrics: GatewayMetrics?

    /// Creates the pool for `members`; `weights` (default 1 each) set their share of the load.
    init(members: [any Backend], weights: [Double]? = nil, policy: PoolStateMachine<ContinuousClock.Instant>.Policy = .init(),
         metrics: GatewayMetrics? = nil, logger: Logger = Logger(label: "eis-gateway")) {
        self.members = members
        let weights = weights ?? [Double](repeating: 1, count: members.count)
        self.state = Mutex(State(
            pool: PoolStateMachine(members: zip(members, weights).map { (trustDomain: $0.endpoint.trustDomain, weight: $1) }, policy: policy),
            statuses: [Status](repeating: .unverified, count: members.count),
            lastFailures: [String?](repeating: nil, count: members.count)))
        self.metrics = metrics
        self.logger = logger
    }

    /// Each backend's verification status, in config order.
    var snapshot: [Status] { state.withLock { $0.statuses } }

    /// Each backend's pool state, in config order.
    var poolSnapshot: [PoolStateMachine<ContinuousClock.Instant>.Member] { state.withLock { $0.pool.members } }

    /// Why each backend last failed (nil when its latest call or check succeeded), in config order.
    var lastFailures: [String?] { state.withLock { $0.lastFailures } }

    /// Remembers why a backend failed, for `/healthz`.
    ///
    /// - Returns: whether the reason differs from the one remembered, so callers can log a
    ///   new problem once instead of at every health-check round.
    @discardableResult
    func recordFailure(_ index: Int, _ error: BackendError) -> Bool {
        let reason = error.description
        return state.withLock { state in
            defer { state.lastFailures[index] = reason }
            return state.lastFailures[index] != reason
        }
    }

    /// Forgets a backend's last failure after it answered correctly.
    func recordSuccess(_ index: Int) {
        state.withLock { $0.lastFailures[index] = nil }
    }

    /// Picks `count` backends in distinct trust domains and counts a call on each (see
    /// `PoolStateMachine.place`). Every index returned must be given back through `finish`.
    func place(count: Int, excluding: Set<Int> = [], avoidingDomains: Set<String> = []) -> [Int]? {
        state.withLock { $0.pool.place(count: count, now: .now, excluding: excluding, avoidingDomains: avoidingDomains) }
    }

    /// Records how a placed call ended; logs an ejection.
    func finish(_ index: Int, outcome: PoolStateMachine<ContinuousClock.Instant>.Outcome) {
        let now = ContinuousClock.now
        let ejectedUntil = state.withLock { $0.pool.finish(index, outcome: outcome, now: now) }
        if let ejectedUntil {
            metrics?.recordEjection(backend: members[index].endpoint.name)
            logger.warning("backend ejected after failures", metadata: [
                "backend": "\(members[index].endpoint.name)", "for": "\(ejectedUntil - now)",
            ])
        }
    }

    /// When to hedge a call to this backend (its p95), or nil when hedging has too little data.
    func hedgeDelay(_ index: Int) -> Duration? { state.withLock { $0.pool.hedgeDelay(index) } }

    /// Trust domains that currently have a backend able to take a call.
    var eligibleDomainCount: Int { state.withLock { $0.pool.eligibleDomainCount(now: .now) } }

    /// Whether a backend has proven it serves the model's layers (no need to ask it first).
    func isVerified(_ index: Int) -> Bool {
        state.withLock { $0.statuses[index] == .verified }
    }

    /// Makes sure a backend serves every layer of the model, asking it when not yet verified.
    ///
    /// - Throws: `BackendError` when it is unreachable (status unchanged) or differs (refused).
    func ensureVerified(_ index: Int, against model: GatewayModel, deadline: ContinuousClock.Instant, logger: Logger) async throws(BackendError) {
        switch state.withLock({ $0.statuses[index] }) {
        case .verified: return
        case .refused(let reason): throw .mismatch(reason)
        case .unverified: break
        }
        let backend = members[index]
        let difference: String?
        do {
            difference = try await describeDifference(index, from: model, deadline: deadline)
        } catch {
            // Unreachable, TLS refused, garbage: /healthz says why until it is verified.
            if !error.isCancelled { recordFailure(index, error) }
            throw error
        }
        if let difference {
            let reason = refuse(index, model: model, difference: difference, logger: logger)
            throw .mismatch(reason)
        }
        // A health check may have refused it while we waited; never overwrite that.
        state.withLock {
            if $0.statuses[index] == .unverified { $0.statuses[index] = .verified }
            $0.lastFailures[index] = nil
        }
        logger.info("backend verified", metadata: ["backend": "\(backend.endpoint.name)", "model": "\(model.name)"])
    }

    /// Asks a backend for every layer of the model and says how they differ from the local
    /// copy, or nil when all match. A backend that answers `mismatch` itself (it has no such
    /// layer, or its model cannot be one at all) differs by that message.
    ///
    /// - Throws: any other `BackendError` (unreachable, timeout, …), which refuses nothing.
    private func describeDifference(_ index: Int, from model: GatewayModel, deadline: ContinuousClock.Instant) async throws(BackendError) -> String? {
        do {
            let remote = try await members[index].describeLayers(model.layerNames, deadline: deadline)
            guard remote.count == model.layers.count else {
                return "described \(remote.count) layers, asked for \(model.layers.count)"
            }
            let differences = zip(remote, model.layers).compactMap { remote, layer in
                Self.difference(remote, from: layer, arithmetic: model.arithmetic).map {
                    model.layers.count == 1 ? $0 : "layer '\(layer.name)': \($0)"
                }
            }
            return differences.isEmpty ? nil : differences.joined(separator: "; ")
        } catch where error.isMismatch {
            // The refusal names the backend already; drop the plugin's own "name: " prefix.
            let prefix = members[index].endpoint.name + ": "
            return error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
        }
    }

    /// Refuses a backend for good (until a reload) and logs it once.
    ///
    /// - Returns: the reason recorded for `/healthz`.
    @discardableResult
    private func refuse(_ index: Int, model: GatewayModel, difference: String, logger: Logger) -> String {
        let backend = members[index]
        let reason = "backend '\(backend.endpoint.name)' (\(HealthReport.displayURL(backend.endpoint.url))) differs from \(model.name): \(difference)"
        let newlyRefused = state.withLock { state -> Bool in
            if case .refused = state.statuses[index] { return false }
            state.statuses[index] = .refused(reason: reason)
            state.pool.refuse(index)
            return true
        }
        if newlyRefused {
            logger.error("refusing backend", metadata: ["backend": "\(backend.endpoint.name)", "model": "\(model.name)", "difference": "\(difference)"])
        }
        return reason
    }

    /// Describes how a remote layer differs from the local one, or nil when it matches.
    static func difference(_ remote: RemoteLayer, from layer: SharedLayer, arithmetic: Arithmetic) -> String? {
        var differences = [String]()
        if remote.inputs != layer.inputs || remote.outputs != layer.outputs {
            differences.append("shape \(remote.inputs)→\(remote.outputs), expected \(layer.inputs)→\(layer.outputs)")
        }
        if !remote.arithmetics.contains(arithmetic) {
            let served = remote.arithmetics.map(\.description).sorted().joined(separator: ", ")
            differences.append("computes in \(served.isEmpty ? "no known arithmetic" : served), expected \(arithmetic)")
        }
        if arithmetic == .ring64, let bits = remote.weightFractionBits, bits != layer.weights.fractionBits {
            differences.append("weight_frac_bits \(bits), expected \(layer.weights.fractionBits)")
        }
        if let digest = remote.digest, digest != layer.weights.digest {
            differences.append("weights sha256 \(digest.prefix(16))…, expected \(layer.weights.digest.prefix(16))…")
        }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }
}

extension ModelBackends {
    /// Runs one active health check: the health endpoint, then the layers' descriptions, so a
    /// backend whose weights changed under it is caught and refused.
    ///
    /// - Returns: whether it passed.
    @discardableResult
    func runHealthCheck(_ index: Int, against model: GatewayModel, timeout: Duration, logger: Logger) async -> Bool {
        let backend = members[index]
        let deadline = ContinuousClock.now + timeout
        var passed: Bool
        do throws(BackendError) {
            try await backend.checkHealth(deadline: deadline)
            if let difference = try await describeDifference(index, from: model, deadline: deadline) {
                refuse(index, model: model, difference: difference, logger: logger)
                passed = false
            } else {
                state.withLock {
                    if $0.statuses[index] == .unverified { $0.statuses[index] = .verified }
                    $0.lastFailures[index] = nil
                }
                passed = true
            }
        } catch {
            passed = false
            // Logged when the reason is new, not at every round, so a backend that stays down
            // (a wrong certificate, say) leaves one line naming the problem.
            if recordFailure(index, error) {
                logger.warning("backend health check failed", metadata: ["backend": "\(backend.endpoint.name)", "error": "\(error.description)"])
            }
        }
        let changed = state.withLock { $0.pool.recordHealthCheck(index, passed: passed) }
        if let changed {
            var metadata: Logger.Metadata = ["backend": "\(backend.endpoint.name)"]
            if !changed, let reason = lastFailures[index] { metadata["error"] = "\(reason)" }
            logger.notice(changed ? "backend healthy" : "backend unhealthy", metadata: metadata)
        }
        return passed
    }
}
