import EISBackend
import EISCore
import Logging
import Synchronization

/// The backends of one model, and whether each has proven it serves the gateway's weights.
///
/// No share goes to a backend until it has reported the same shape, fractional bits and weight
/// digest as the gateway's own copy; a backend that reported different ones is refused for
/// good (until the configuration is reloaded).
final class ModelBackends: Sendable {
    /// What the gateway knows about one backend.
    enum Status: Sendable, Equatable {
        /// Not yet checked (unreachable so far).
        case unverified
        /// Serves the expected layer.
        case verified
        /// Serves something else; never used.
        case refused(reason: String)
    }

    /// The backends, in config order.
    let members: [any Backend]
    private let statuses: Mutex<[Status]>
    private let rotation = Atomic<Int>(0)

    init(members: [any Backend]) {
        self.members = members
        self.statuses = Mutex([Status](repeating: .unverified, count: members.count))
    }

    /// Each backend's status, in config order.
    var snapshot: [Status] { statuses.withLock { $0 } }

    /// Picks `count` backends in distinct trust domains, skipping refused ones, starting at a
    /// rotating offset so load spreads when there are more than `count`.
    ///
    /// - Returns: member indices, or nil when the rule cannot be met.
    func place(count: Int) -> [Int]? {
        let current = snapshot
        let start = rotation.add(1, ordering: .relaxed).oldValue
        var chosen = [Int](), domains = Set<String>()
        for offset in 0..<members.count {
            let index = (start + offset) % members.count
            if case .refused = current[index] { continue }
            guard domains.insert(members[index].endpoint.trustDomain).inserted else { continue }
            chosen.append(index)
            if chosen.count == count { return chosen }
        }
        return nil
    }

    /// Makes sure a backend serves the expected layer, asking it when not yet verified.
    ///
    /// - Throws: `BackendError` when it is unreachable (status unchanged) or differs (refused).
    func ensureVerified(_ index: Int, against model: GatewayModel, deadline: ContinuousClock.Instant, logger: Logger) async throws(BackendError) {
        switch statuses.withLock({ $0[index] }) {
        case .verified: return
        case .refused(let reason): throw .mismatch(reason)
        case .unverified: break
        }
        let backend = members[index]
        let remote = try await backend.describeLayer(deadline: deadline)
        if let difference = Self.difference(remote, from: model) {
            let reason = "backend '\(backend.endpoint.name)' (\(backend.endpoint.url)) differs from \(model.name): \(difference)"
            statuses.withLock { $0[index] = .refused(reason: reason) }
            logger.error("refusing backend", metadata: ["backend": "\(backend.endpoint.name)", "model": "\(model.name)", "difference": "\(difference)"])
            throw .mismatch(reason)
        }
        statuses.withLock { $0[index] = .verified }
        logger.info("backend verified", metadata: ["backend": "\(backend.endpoint.name)", "model": "\(model.name)"])
    }

    /// Describes how a remote layer differs from the local model, or nil when it matches.
    static func difference(_ remote: RemoteLayer, from model: GatewayModel) -> String? {
        var differences = [String]()
        if remote.inputs != model.layer.inputs || remote.outputs != model.layer.outputs {
            differences.append("shape \(remote.inputs)→\(remote.outputs), expected \(model.layer.inputs)→\(model.layer.outputs)")
        }
        if remote.weightFractionBits != model.weights.fractionBits {
            differences.append("weight_frac_bits \(remote.weightFractionBits), expected \(model.weights.fractionBits)")
        }
        if let digest = remote.digest, digest != model.weights.digest {
            differences.append("weights sha256 \(digest.prefix(16))…, expected \(model.weights.digest.prefix(16))…")
        }
        return differences.isEmpty ? nil : differences.joined(separator: "; ")
    }
}
