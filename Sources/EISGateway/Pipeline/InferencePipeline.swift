import CurlTransport
import EISBackend
import EISCore
import Logging

/// The path of one inference: encode → prove exactness → share → fan out → recombine → + bias.
///
/// Failover keeps the placement rule (DESIGN.md, invariant 1): when a backend fails, the *same*
/// share goes to a spare that holds no other share of this sharing and is in no trust domain
/// that does; with no such spare, the request draws one fresh sharing and places it anew,
/// avoiding every backend that already failed it.
struct InferencePipeline: Sendable {
    /// The gateway's copy of the model.
    let model: GatewayModel
    /// Where its shares go.
    let backends: ModelBackends
    let metrics: GatewayMetrics
    let logger: Logger
    /// Longest wait for one backend call, so a hung backend leaves time to fail over.
    var backendTimeout: Duration = .seconds(1)
    /// Whether a call slower than its backend's p95 gets a hedge: the same share sent to a spare.
    var hedging = false
    /// Dummy rows added to every batch before it is shared, so backends see only bucket sizes.
    var padding = Padding.none
    /// Counts real batches sent, so cover traffic can tell whether real traffic covered an interval.
    let activity = BatchActivity()

    /// Runs a batch of input rows through the shared linear layer.
    ///
    /// - Parameter rows: each row has `model.layer.inputs` values.
    /// - Returns: one output row (`model.layer.outputs` values) per input row.
    /// - Throws: `GatewayError` (400 for bad values, 503 without enough backends, 504 at the deadline).
    func infer(_ rows: [[Double]], deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        try await infer(prepared: try prepare(rows), deadline: deadline)
    }

    /// Runs rows that `prepare` has already checked and encoded: pads them to a bucket size,
    /// shares them, and answers for the real rows only.
    ///
    /// Per-request checks happen in `prepare`, before any batching, so that one bad request
    /// can never fail a batch that others share.
    /// - Returns: one output row per row of `secret`; padding rows never reach it.
    /// - Throws: `GatewayError` (503 without enough backends, 504 at the deadline).
    func infer(prepared secret: ShareMatrix, deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        var random = SecureRandom()
        let padded = padding.pad(secret, model: model, using: &random)
        metrics.recordBatch(model: model.name, rows: secret.rows, paddingRows: padded.rows - secret.rows)
        // With cover traffic every batch leaves at a slot of one schedule (BatchActivity),
        // shared before it waits, so what is left at the slot is the same work for any batch.
        switch activity.claimSlot(by: deadline) {
        case .now:
            return try await run(padded, realRows: secret.rows, deadline: deadline)
        case .at(let departure):
            let sharing = split(padded)
            try? await Task.sleep(until: departure)
            return try await run(padded, firstSharing: sharing, realRows: secret.rows, deadline: deadline)
        case .tooLate:
            throw .deadlineExceeded("model '\(model.name)': the deadline passes before the next batch slot")
        }
    }

    /// Sends one batch of dummy rows only (the smallest bucket), through the same path as real
    /// batches: placement, failover, the same backends and metrics for their calls. Like a real
    /// batch it is padded first and then waits for its slot, `departure`, so both leave alike.
    func sendCover(at departure: ContinuousClock.Instant = .now, deadline: ContinuousClock.Instant) async throws(GatewayError) {
        var random = SecureRandom()
        let empty: ShareMatrix = model.arithmetic == .ring64
            ? .ring(Matrix(rows: 0, columns: model.layer.inputs, elements: []))
            : .real(Matrix(rows: 0, columns: model.layer.inputs, elements: []))
        let padded = padding.pad(empty, model: model, using: &random)
        metrics.recordCoverBatch(model: model.name)
        let sharing = split(padded)
        try? await Task.sleep(until: departure)
        _ = try await run(padded, firstSharing: sharing, realRows: 0, deadline: deadline)
    }

    /// Shares a padded batch (its first sharing may be drawn already), sends it, and recombines
    /// the first `realRows` rows.
    private func run(
        _ secret: ShareMatrix, firstSharing: [ShareMatrix]? = nil, realRows: Int, deadline: ContinuousClock.Instant
    ) async throws(GatewayError) -> [[Double]] {
        var failedBackends = Set<Int>()
        var lastError: BackendError?
        // The first sharing, then at most one fresh sharing when no spare could take a share.
        attempts: for attempt in 0..<2 {
            if attempt > 0 {
                // Nothing left to try: the deadline passed, the request was cancelled, or the
                // first placement already found too few backends.
                if ContinuousClock.now >= deadline || Task.isCancelled || lastError?.isUnavailable == true { break attempts }
                metrics.recordFailover(model: model.name, reason: "fresh_sharing")
            }
            switch await send(attempt == 0 ? firstSharing ?? split(secret) : split(secret), rows: secret.rows, deadline: deadline, failedBackends: &failedBackends) {
            case .success(let answers):
                return recombine(answers, rows: realRows)
            case .failure(let error):
                lastError = error
            }
        }
        if ContinuousClock.now >= deadline {
            throw .deadlineExceeded("model '\(model.name)': the backends did not answer before the deadline")
        }
        throw .backendsUnavailable("model '\(model.name)': \(lastError?.description ?? "no backends")")
    }

    /// Checks the rows and brings them into the model's arithmetic: fixed point for the ring,
    /// unchanged reals for float sharing.
    func prepare(_ rows: [[Double]]) throws(GatewayError) -> ShareMatrix {
        guard model.arithmetic != .ring64 else { return .ring(try encode(rows)) }
        let width = model.layer.inputs
        var elements = [Double]()
        elements.reserveCapacity(rows.count * width)
        for (rowIndex, row) in rows.enumerated() {
            guard row.count == width else {
                throw .wrongLength("row \(rowIndex) has \(row.count) values; model '\(model.name)' takes \(width)")
            }
            for (column, value) in row.enumerated() {
                guard value.isFinite else { throw .notFinite("row \(rowIndex), index \(column): not a finite number") }
                // The same range as the ring's input codec, so a model keeps its limits when its
                // backends change arithmetic.
                guard abs(value) < model.inputCodec.limit else {
                    throw .outOfRange("row \(rowIndex), index \(column): magnitude must be below \(model.inputCodec.limit)")
                }
                // Beyond the mask range a value would stand out of its share's box, and off the grid.
                if let grid = model.floatMaskGrid, abs(value) > grid.inputLimit {
                    throw .outOfRange("row \(rowIndex), index \(column): magnitude must be at most float_mask_range (\(grid.inputLimit))")
                }
                elements.append(value)
            }
        }
        return .real(Matrix(rows: rows.count, columns: width, elements: elements))
    }

    /// One fresh sharing of the prepared input: `k` shares from the secure generator.
    private func split(_ secret: ShareMatrix) -> [ShareMatrix] {
        var random = SecureRandom()
        switch secret {
        case .ring(let matrix):
            return AdditiveSharing.split(matrix.elements, into: model.shares, using: &random)
                .map { .ring(Matrix(rows: matrix.rows, columns: matrix.columns, elements: $0)) }
        case .real(let matrix):
            guard let grid = model.floatMaskGrid else { preconditionFailure("float models have a mask grid") }
            return FloatMasking.split(matrix.elements, grid: grid, using: &random)
                .map { .real(Matrix(rows: matrix.rows, columns: matrix.columns, elements: $0)) }
        }
    }

    /// Sums the partial products of the first `rows` rows, decodes them and adds the bias,
    /// which counts exactly once: added here, less once for every answering backend that added
    /// it itself. Rows after `rows` are padding: they are never summed or decoded.
    private func recombine(_ answers: [(partial: ShareMatrix, member: Int)], rows: Int) -> [[Double]] {
        let outputs = model.layer.outputs
        let bias = model.layer.bias
        let sum: [Double]
        var biasCount = 1.0
        switch model.arithmetic {
        case .ring64:
            let parts = answers.map { answer -> [Int64] in
                guard case .ring(let matrix) = answer.partial else { preconditionFailure("checked by the backend") }
                return Array(matrix.elements.prefix(rows * outputs))
            }
            sum = AdditiveSharing.combine(parts).map(model.outputCodec.decode)
        case .float32, .float64:
            let parts = answers.map { answer -> [Double] in
                guard case .real(let matrix) = answer.partial else { preconditionFailure("checked by the backend") }
                return Array(matrix.elements.prefix(rows * outputs))
            }
            sum = FloatMasking.combine(parts)
            biasCount -= Double(answers.filter { backends.members[$0.member].endpoint.addsBias }.count)
        }
        return (0..<rows).map { row in
            (0..<outputs).map { column in
                sum[row * outputs + column] + biasCount * (bias?[column] ?? 0)
            }
        }
    }

    /// Fixed-point encodes the rows and proves every product stays exact in Z/2^64.
    func encode(_ rows: [[Double]]) throws(GatewayError) -> Matrix<Int64> {
        let width = model.layer.inputs
        var elements = [Int64]()
        elements.reserveCapacity(rows.count * width)
        for (rowIndex, row) in rows.enumerated() {
            guard row.count == width else {
                throw .wrongLength("row \(rowIndex) has \(row.count) values; model '\(model.name)' takes \(width)")
            }
            let start = elements.count
            for (column, value) in row.enumerated() {
                do {
                    elements.append(try model.inputCodec.encode(value))
                } catch .notFinite {
                    throw .notFinite("row \(rowIndex), index \(column): not a finite number")
                } catch {
                    throw .outOfRange("row \(rowIndex), index \(column): magnitude must be below \(model.inputCodec.limit) (input_frac_bits = \(model.inputCodec.fractionBits))")
                }
            }
            guard model.weights.productIsExact(for: elements[start...]) else {
                let headroom = model.outputCodec.limit
                throw .outOfRange("row \(rowIndex): W·x could exceed the exact range ±\(headroom) of this model's fixed point; scale the input down")
            }
        }
        return Matrix(rows: rows.count, columns: width, elements: elements)
    }

    /// Sends each share of one sharing to its own backend concurrently, failing over share by
    /// share, and collects the partial products.
    ///
    /// - Parameter failedBackends: backends that failed this request; grows with new failures.
    private func send(
        _ shares: [ShareMatrix], rows: Int, deadline: ContinuousClock.Instant, failedBackends: inout Set<Int>
    ) async -> Result<[(partial: ShareMatrix, member: Int)], BackendError> {
        guard let placement = backends.place(count: shares.count, excluding: failedBackends) else {
            return .failure(.unavailable("fewer than \(shares.count) usable backends in distinct trust domains"))
        }
        let outputs = model.layer.outputs
        // Every backend that has been sent share i (it may hold it even if its call failed).
        var holders = placement.map { Set([$0]) }
        var received = Set(placement)
        var failed = failedBackends
        // The first placement's calls, sent together when every backend allows it. What they
        // return is handled below exactly as if child tasks had returned it, and a failure among
        // them is read as soon as it happens, so failover starts as early as with child tasks.
        let joint = startTogether(shares, placement: placement, deadline: deadline)
        let result = await withTaskGroup(of: FanOutEvent.self) { group in
            // The backends currently computing each share (more than one while a hedge runs).
            var inFlight = [Set<Int>](repeating: [], count: shares.count)
            func start(share: Int, on member: Int) {
                let batch = batch(of: shares[share])
                inFlight[share].insert(member)
                group.addTask { .call(share: share, member: member, outcome: await self.call(member, batch: batch, outputs: outputs, deadline: deadline)) }
                // Hedging: if this backend is slower than its own p95 this time, a spare gets the same share.
                if hedging, let delay = backends.hedgeDelay(member) {
                    group.addTask {
                        try? await Task.sleep(for: delay)
                        return .call(share: share, member: member, outcome: .hedgeDue)
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
            if joint == nil {
                for (share, member) in placement.enumerated() { start(share: share, on: member) }
            } else {
                for (share, member) in placement.enumerated() { inFlight[share].insert(member) }
            }
            // Joint outcomes read but not yet handled; how many were read; whether a child task
            // is reading them now.
            var pending = [(share: Int, member: Int, outcome: CallOutcome)]()
            var jointRead = 0
            var jointReader = false
            /// The next outcome of any call. While no child task runs (all is well), the joint
            /// calls are read right here: one wakeup for all of them. Once spares or hedges run,
            /// a child task reads them, so whichever ends first is handled first.
            func nextOutcome() async -> (share: Int, member: Int, outcome: CallOutcome)? {
                while pending.isEmpty {
                    if let joint, jointRead < placement.count, !jointReader {
                        if group.isEmpty {
                            pending = await nextOutcomes(of: joint)
                            // Nothing more to read (cannot happen before all were read; never loop on it).
                            jointRead = pending.isEmpty ? placement.count : jointRead + pending.count
                            continue
                        }
                        jointReader = true
                        group.addTask { .joint(await self.nextOutcomes(of: joint)) }
                    }
                    switch await group.next() {
                    case nil:
                        return nil
                    case .call(let share, let member, let outcome)?:
                        return (share, member, outcome)
                    case .joint(let outcomes)?:
                        jointReader = false
                        pending = outcomes
                        jointRead = outcomes.isEmpty ? placement.count : jointRead + outcomes.count
                    }
                }
                return pending.removeFirst()
            }
            var partials = [(partial: ShareMatrix, member: Int)?](repeating: nil, count: shares.count)
            var answered = 0
            var failure: BackendError?
            while failure == nil && answered < shares.count, let (share, member, outcome) = await nextOutcome() {
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
                    backends.finish(member, outcome: blamesBackend ? .failure : .abandoned(after: elapsed))
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
            // Cancel what is left (losing hedges, hedge timers, joint calls, or the rest after a
            // failure) and give every placed call back to the pool.
            group.cancelAll()
            joint?.batch.cancel()
            while let (_, member, outcome) = await nextOutcome() {
                switch outcome {
                case .hedgeDue: break
                case .answered(_, let latency): backends.finish(member, outcome: .success(latency: latency))
                case .failed(_, let blamesBackend, let elapsed):
                    if blamesBackend {
                        // It failed on its own after the request had stopped waiting for it
                        // (another share failed with no spare, or a losing hedge timed out): it
                        // counts against the backend, and a fresh sharing avoids it.
                        failed.insert(member)
                        backends.finish(member, outcome: .failure)
                    } else {
                        // Cut short: its time so far is a lower bound on its latency. Keep it, so
                        // the p95 that hedging uses is not biased towards the calls that won.
                        backends.finish(member, outcome: .abandoned(after: elapsed))
                    }
                }
            }
            if answered == shares.count { return Result<[(partial: ShareMatrix, member: Int)], BackendError>.success(partials.compactMap { $0 }) }
            return .failure(failure ?? .unavailable("no answer"))
        }
        failedBackends = failed
        return result
    }

    /// How one backend call ended (or that a hedge is due).
    private enum CallOutcome: Sendable {
        case answered(ShareMatrix, latency: Double)
        /// `blamesBackend` is false when the request's own deadline, not the backend's
        /// timeout, cut the call short: that says nothing about the backend.
        case failed(BackendError, blamesBackend: Bool, elapsed: Double)
        /// The call on this share has run past its backend's p95: time to hedge.
        case hedgeDue
    }

    /// The request's batch for one share.
    private func batch(of share: ShareMatrix) -> ShareBatch {
        ShareBatch(arithmetic: model.arithmetic,
                   inputFractionBits: model.arithmetic == .ring64 ? model.inputCodec.fractionBits : 0,
                   shares: share)
    }

    /// The first placement's calls in flight as one libcurl batch.
    private struct JointCalls: Sendable {
        let batch: HTTPClientBatch
        /// Each share's exchange, in share order.
        let exchanges: [ShareExchange]
        /// The backend of each share.
        let placement: [Int]
        /// Rows of each share's batch (padding included).
        let rows: Int
        let start: ContinuousClock.Instant
        let callDeadline: ContinuousClock.Instant
        let requestDeadline: ContinuousClock.Instant
    }

    /// What a child task of the fan-out returns: one call's outcome, or joint outcomes it read.
    private enum FanOutEvent: Sendable {
        case call(share: Int, member: Int, outcome: CallOutcome)
        case joint([(share: Int, member: Int, outcome: CallOutcome)])
    }

    /// Starts the first placement's calls as one libcurl batch: one submission to the I/O thread,
    /// and one wakeup when all answer, instead of a child task per share.
    ///
    /// - Returns: nil when the calls must go one task each: hedging is on (it needs a timer per
    ///   call), a backend is not verified yet or needs more than one exchange, or the backends
    ///   use different clients.
    private func startTogether(_ shares: [ShareMatrix], placement: [Int], deadline: ContinuousClock.Instant) -> JointCalls? {
        guard !hedging, shares.count == placement.count, let rows = shares.first?.rows else { return nil }
        let outputs = model.layer.outputs
        var exchanges = [ShareExchange]()
        for (share, member) in placement.enumerated() {
            guard backends.isVerified(member),
                  let exchange = try? backends.members[member].exchange(for: batch(of: shares[share]), outputs: outputs),
                  exchange.client === exchanges.first?.client ?? exchange.client
            else { return nil }
            exchanges.append(exchange)
        }
        guard let client = exchanges.first?.client else { return nil }
        let start = ContinuousClock.now
        let callDeadline = min(deadline, start + backendTimeout)
        return JointCalls(batch: client.start(exchanges.map(\.request), deadline: callDeadline), exchanges: exchanges,
                          placement: placement, rows: rows, start: start, callDeadline: callDeadline, requestDeadline: deadline)
    }

    /// The joint calls that ended since the last read (all of them when all answer, or as soon
    /// as one fails), judged and recorded like any call; empty once all were read.
    private func nextOutcomes(of joint: JointCalls) async -> [(share: Int, member: Int, outcome: CallOutcome)] {
        await joint.batch.next().map { ended in
            let member = joint.placement[ended.index]
            let outcome = judge(joint.exchanges[ended.index].partials(from: ended.outcome), member: member, rows: joint.rows,
                                outputs: model.layer.outputs, elapsed: ended.outcome.finishedAt - joint.start,
                                callDeadline: joint.callDeadline, deadline: joint.requestDeadline)
            return (ended.index, member, outcome)
        }
    }

    /// One backend call: verification on first use, then the share, with metrics.
    private func call(_ memberIndex: Int, batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async -> CallOutcome {
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
