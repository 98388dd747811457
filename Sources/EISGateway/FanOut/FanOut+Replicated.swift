import EISBackend
import EISCore
import Logging

extension FanOut {
    /// The shares server `j` of a replicated 2-of-3 sharing holds: `j` and `j + 1` (mod 3), so
    /// A = (x₁, x₂), B = (x₂, x₃), C = (x₃, x₁), and any two servers hold all three.
    static func replicatedPair(_ server: Int) -> [Int] { [server, (server + 1) % 3] }

    /// Sends a replicated 2-of-3 sharing: three backends in three trust domains, each one call
    /// with its two shares stacked as rows, and answers with one partial per share.
    ///
    /// The round is answered as soon as the answers in hand cover all three shares and can be
    /// trusted (docs/VERIFICATION.md, "Replicated 2-of-3"):
    /// - on a verified layer every answer was checked by `call`, so the fastest two suffice and
    ///   the third is cancelled: a lost or stalled server costs no second round trip;
    /// - on an unverified layer the gateway waits for the third to answer or fail; when all three
    ///   answered, every share's two copies are compared, and a disagreement is settled by
    ///   multiplying that share locally: a copy that differs from it is a wrong result.
    ///
    /// With only two trust domains usable, two backends take A's and B's pairs and both must
    /// answer. No backend ever gets a third share of the sharing, and there is no per-share
    /// failover: when the answers left cannot cover the three shares the send fails, and the
    /// round may draw a fresh sharing.
    /// - Parameters:
    ///   - shares: the three shares, as batches for the same layer and of equal rows.
    ///   - failedBackends: grows with the backends that failed, so a fresh sharing avoids them.
    /// - Returns: one partial per share, in share order (`member` is a backend that computed it).
    func sendReplicated(
        _ shares: [ShareBatch], outputs: Int, deadline: ContinuousClock.Instant, failedBackends: inout Set<Int>
    ) async -> Result<[Partial], BackendError> {
        precondition(shares.count == 3, "replicated 2-of-3 sharing has three shares")
        // With a trust domain down, A = (x₁, x₂) and B = (x₂, x₃) still cover every share, and
        // neither holds all three; both must answer then.
        guard let placement = backends.place(count: 3, excluding: failedBackends) ?? backends.place(count: 2, excluding: failedBackends) else {
            return .failure(.unavailable("fewer than 2 usable backends in distinct trust domains"))
        }
        // More failures than this and the answers left cannot cover the three shares.
        let tolerated = placement.count - 2
        let rows = shares[0].shares.rows
        let calls = (0..<placement.count).map { server in
            var batch = shares[server]
            batch.shares = .stacking(Self.replicatedPair(server).map { shares[$0].shares })
            return batch
        }
        let layer = shares[0].layer
        let verified = model.checks[layer] != nil
        var failed = failedBackends
        let result = await withTaskGroup(of: (server: Int, member: Int, outcome: CallOutcome).self) { group in
            for (server, member) in placement.enumerated() {
                let batch = calls[server]
                group.addTask { (server, member, await self.call(member, batch: batch, outputs: outputs, deadline: deadline)) }
            }
            // copies[share]: each answering server's partial for that share.
            var copies = [[(rows: Matrix<Int64>, member: Int)]](repeating: [], count: 3)
            var latencies = [Int: Double]()
            var responded = 0, failures = 0
            var lastError: BackendError?
            collecting: while let (server, member, outcome) = await group.next() {
                responded += 1
                switch outcome {
                case .hedgeDue:
                    continue
                case .answered(let partial, let latency):
                    guard case .ring(let stacked) = partial else { preconditionFailure("checked by the fan-out") }
                    latencies[member] = latency
                    for (half, share) in Self.replicatedPair(server).enumerated() {
                        let part = Array(stacked.elements[(half * rows * outputs)..<((half + 1) * rows * outputs)])
                        copies[share].append((Matrix(rows: rows, columns: outputs, elements: part), member))
                    }
                case .failed(let error, let blamesBackend, let elapsed):
                    lastError = error
                    if error.isCancelled || Task.isCancelled {
                        backends.finish(member, outcome: .abandoned(after: elapsed))
                        failures = placement.count
                        break collecting
                    }
                    backends.finish(member, outcome: blamesBackend ? .failed(with: error) : .abandoned(after: elapsed))
                    failed.insert(member)
                    failures += 1
                }
                let covered = copies.allSatisfy { !$0.isEmpty }
                if failures > tolerated || (covered && (verified || responded == placement.count)) { break collecting }
            }
            group.cancelAll()
            while let (_, member, outcome) = await group.next() {
                finishLeftover(outcome, member: member, failed: &failed)
            }
            guard failures <= tolerated, copies.allSatisfy({ !$0.isEmpty }) else {
                for (member, latency) in latencies { backends.finish(member, outcome: .success(latency: latency)) }
                return Result<[Partial], BackendError>.failure(lastError ?? .unavailable("no answer"))
            }
            let liars = await settleDisagreements(&copies, shares: shares, layer: layer)
            for (member, latency) in latencies {
                backends.finish(member, outcome: liars.contains(member) ? .wrongResult : .success(latency: latency))
            }
            failed.formUnion(liars)
            return .success(copies.map { (partial: ShareMatrix.ring($0[0].rows), member: $0[0].member) })
        }
        failedBackends = failed
        return result
    }

    /// Compares the two copies of every share that has two; where they differ, multiplies that
    /// share locally (one product of the layer, only then), keeps the right copy first, and
    /// reports every backend whose copy was wrong. Its call was counted `ok` when it arrived;
    /// `eis_verification_failures_total` counts the wrong copy.
    ///
    /// - Returns: the backends that answered a wrong copy.
    private func settleDisagreements(
        _ copies: inout [[(rows: Matrix<Int64>, member: Int)]], shares: [ShareBatch], layer: String
    ) async -> Set<Int> {
        var liars = Set<Int>()
        for share in copies.indices where copies[share].count == 2 && copies[share][0].rows.elements != copies[share][1].rows.elements {
            guard case .ring(let x) = shares[share].shares, let weights = model.layers.first(where: { $0.name == layer })?.weights else {
                preconditionFailure("replicated sharing is ring64, on a layer of the model")
            }
            // A whole layer product: off the cooperative pool when large, like a check.
            let packed = weights.packed
            let truth = await Self.offPoolWhenLarge(work: x.rows * x.columns * packed.rows) {
                RingKernels.multiply(x, byTransposeOf: packed)
            }
            for copy in copies[share] where copy.rows.elements != truth.elements {
                liars.insert(copy.member)
                let name = backends.members[copy.member].endpoint.name
                metrics.recordVerificationFailure(model: model.name, layer: layer, backend: name)
                metrics.setBackendUp(name, false)
                backends.recordFailure(copy.member, .wrongResult("\(name): its copy of a replicated partial for layer '\(layer)' was wrong"))
                logger.error("backend returned a wrong partial", metadata: [
                    "backend": "\(name)", "model": "\(model.name)", "layer": "\(layer)", "found_by": "replica disagreement",
                ])
            }
            copies[share] = [(truth, copies[share][0].member)]
        }
        return liars
    }
}
