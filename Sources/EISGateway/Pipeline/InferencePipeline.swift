import EISBackend
import EISCore
import Logging

/// The path of one inference: encode → prove exactness → share → fan out → recombine → + bias.
struct InferencePipeline: Sendable {
    /// The gateway's copy of the model.
    let model: GatewayModel
    /// Where its shares go.
    let backends: ModelBackends
    let metrics: GatewayMetrics
    let logger: Logger

    /// Runs a batch of input rows through the shared linear layer.
    ///
    /// - Parameter rows: each row has `model.layer.inputs` values.
    /// - Returns: one output row (`model.layer.outputs` values) per input row.
    /// - Throws: `GatewayError` (400 for bad values, 503 without enough backends, 504 at the deadline).
    func infer(_ rows: [[Double]], deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Double]] {
        let encoded = try encode(rows)
        var random = SecureRandom()
        let shares = AdditiveSharing.split(encoded.elements, into: model.shares, using: &random)
        let partials = try await fanOut(shares: shares, rows: rows.count, deadline: deadline)
        let sum = AdditiveSharing.combine(partials)
        let outputs = model.layer.outputs
        let bias = model.layer.bias
        return (0..<rows.count).map { row in
            (0..<outputs).map { column in
                model.outputCodec.decode(sum[row * outputs + column]) + (bias?[column] ?? 0)
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

    /// Sends each share to its own backend concurrently and collects the partial products.
    ///
    /// The first failure cancels the other calls: a result needs every share.
    private func fanOut(shares: [[Int64]], rows: Int, deadline: ContinuousClock.Instant) async throws(GatewayError) -> [[Int64]] {
        guard let placement = backends.place(count: shares.count) else {
            throw .backendsUnavailable("model '\(model.name)' has fewer than \(shares.count) usable backends in distinct trust domains")
        }
        let width = model.layer.inputs, outputs = model.layer.outputs
        let result = await withTaskGroup(of: (Int, Result<[Int64], BackendError>).self) { group in
            for (shareIndex, memberIndex) in placement.enumerated() {
                let batch = ShareBatch(arithmetic: .ring64, inputFractionBits: model.inputCodec.fractionBits,
                                       shares: Matrix(rows: rows, columns: width, elements: shares[shareIndex]))
                group.addTask {
                    (shareIndex, await self.call(memberIndex, batch: batch, outputs: outputs, deadline: deadline))
                }
            }
            var partials = [[Int64]](repeating: [], count: shares.count)
            for await (shareIndex, outcome) in group {
                switch outcome {
                case .success(let partial): partials[shareIndex] = partial
                case .failure(let error):
                    group.cancelAll()
                    return Result<[[Int64]], BackendError>.failure(error)
                }
            }
            return .success(partials)
        }
        switch result {
        case .success(let partials): return partials
        case .failure(let error) where error.isTimeout:
            throw .deadlineExceeded("model '\(model.name)': a backend did not answer before the deadline")
        case .failure(let error):
            throw .backendsUnavailable("model '\(model.name)': \(error.description)")
        }
    }

    /// One backend call: verification on first use, then the share, with metrics.
    private func call(_ memberIndex: Int, batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async -> Result<[Int64], BackendError> {
        let backend = backends.members[memberIndex]
        let start = ContinuousClock.now
        do throws(BackendError) {
            try await backends.ensureVerified(memberIndex, against: model, deadline: deadline, logger: logger)
            let partial = try await backend.evaluate(batch, outputs: outputs, deadline: deadline)
            metrics.recordBackendCall(backend: backend.endpoint.name, outcome: "ok", duration: .now - start)
            metrics.setBackendUp(backend.endpoint.name, true)
            return .success(partial.elements)
        } catch {
            metrics.recordBackendCall(backend: backend.endpoint.name, outcome: error.shortDescription, duration: .now - start)
            if !error.isCancelled {
                metrics.setBackendUp(backend.endpoint.name, false)
                logger.warning("backend call failed", metadata: ["backend": "\(backend.endpoint.name)", "error": "\(error.description)"])
            }
            return .failure(error)
        }
    }
}
