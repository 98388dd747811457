import EISBackend
import EISCore
import EISModels
import Logging

/// The path of one inference through a model: check and encode the input, pad it to a bucket,
/// then run the model's rounds (docs/ARCHITECTURE.md, "The request path").
///
/// Each linear layer is one `ShareRound`: fresh shares, placed on backends in distinct trust
/// domains by the `FanOut`, recombined exactly. The pipeline owns what is per model rather than
/// per round: padding, the count of real batches that cover traffic reads, and the settings of
/// the fan-out.
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

    /// The engine every round sends its shares through.
    var fanOut: FanOut {
        FanOut(model: model, backends: backends, metrics: metrics, logger: logger, backendTimeout: backendTimeout, hedging: hedging)
    }

    /// The round of layer `index`.
    func round(_ index: Int) -> ShareRound {
        ShareRound(model: model, layer: model.layers[index], fanOut: fanOut)
    }

    /// Runs a batch of input rows through the model.
    ///
    /// - Parameter rows: each row has `model.inputs` values.
    /// - Returns: one output row (`model.outputs` values) per input row.
    /// - Throws: `GatewayError` (400 for bad values, 503 without enough backends, 504 at the deadline).
    func infer(_ rows: [[Double]], deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        try await infer(prepared: try prepare(rows), deadline: deadline)
    }

    /// Runs rows that `prepare` has already checked and encoded: pads them to a bucket size,
    /// runs the rounds, and answers for the real rows only.
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
            let sharing = firstSharing(of: padded)
            try? await Task.sleep(until: departure)
            return try await run(padded, firstSharing: sharing, realRows: secret.rows, deadline: deadline)
        case .tooLate:
            throw .deadlineExceeded("model '\(model.name)': the deadline passes before the next batch slot")
        }
    }

    /// Runs padded rows through the model: its one round (with its first sharing, when drawn
    /// already), or its plan (rounds and local steps).
    private func run(
        _ padded: ShareMatrix, firstSharing: [ShareMatrix]? = nil, realRows: Int, deadline: ContinuousClock.Instant
    ) async throws(GatewayError) -> [[Double]] {
        guard let plan = model.plan else {
            return try await round(0).run(padded, firstSharing: firstSharing, realRows: realRows, deadline: deadline)
        }
        guard case .real(let rows) = padded else { preconditionFailure("a plan model's rows are prepared as reals") }
        let output: Matrix<Double>
        do {
            // An encoder's rows are token ids (GatewayEncoder); its rounds see token rows, of
            // which the real sequences' come first.
            let input: PlanInput, realRoundRows: Int
            if let encoder = model.encoder {
                input = .tokens(try encoder.tokenBatch(rows))
                realRoundRows = realRows * rows.columns
            } else {
                input = .features(rows)
                realRoundRows = realRows
            }
            let evaluator = RoundEvaluator(pipeline: self, realRows: realRoundRows, deadline: deadline)
            // Local steps compute for milliseconds: off the cooperative pool (invariant 6).
            output = try await withTaskExecutorPreference(LocalStepExecutor.shared) {
                try await PlanRunner(plan: plan).run(input, evaluator: evaluator)
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .internalError("model '\(model.name)': \(error)")
        }
        return (0..<realRows).map { Array(output.row($0)) }
    }

    /// Sends one batch of dummy rows only (the smallest bucket), through the same path as real
    /// batches: placement, failover, the same backends and metrics for their calls. Like a real
    /// batch it is padded first and then waits for its slot, `departure`, so both leave alike.
    func sendCover(at departure: ContinuousClock.Instant = .now, deadline: ContinuousClock.Instant) async throws(GatewayError) {
        var random = SecureRandom()
        // An encoder's cover batches are dummy sequences of its shortest length bucket.
        let width = model.encoder?.lengthBuckets[0] ?? model.inputs
        let empty: ShareMatrix = model.arithmetic == .ring64 && model.plan == nil
            ? .ring(Matrix(rows: 0, columns: width, elements: []))
            : .real(Matrix(rows: 0, columns: width, elements: []))
        let padded = padding.pad(empty, model: model, using: &random)
        metrics.recordCoverBatch(model: model.name)
        let sharing = firstSharing(of: padded)
        try? await Task.sleep(until: departure)
        _ = try await run(padded, firstSharing: sharing, realRows: 0, deadline: deadline)
    }

    /// The sharing a one-round model's batch is sent with, drawn before the batch waits for its
    /// slot; nil for a plan, whose rounds share their inputs as they come to them.
    private func firstSharing(of padded: ShareMatrix) -> [ShareMatrix]? {
        model.plan == nil ? round(0).split(padded) : nil
    }

    /// Checks the rows and brings them into the first round's arithmetic: fixed point for the
    /// ring, unchanged reals for float sharing and for a plan (whose rounds encode their own
    /// inputs; a plan that starts with a round has its input proven exact here, as a 400).
    func prepare(_ rows: [[Double]]) throws(GatewayError) -> ShareMatrix {
        if let plan = model.plan {
            if case .linear? = plan.steps.first?.operation { _ = try encode(rows) }
        } else if model.arithmetic == .ring64 {
            return .ring(try encode(rows))
        }
        let width = model.inputs
        let limit = model.layers[0].inputCodec.limit
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
                guard abs(value) < limit else {
                    throw .outOfRange("row \(rowIndex), index \(column): magnitude must be below \(limit)")
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

    /// Fixed-point encodes rows for the first round and proves every product stays exact.
    func encode(_ rows: [[Double]]) throws(GatewayError) -> Matrix<Int64> {
        try round(0).encode(rows)
    }
}
