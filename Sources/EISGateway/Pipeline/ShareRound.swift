import EISBackend
import EISCore

/// One share round: a linear layer's input, already encoded and checked, is freshly shared, the
/// shares are sent through the fan-out, and the partial products are recombined into `W·x + b`.
///
/// Every round draws its own sharing from the secure generator (docs/ARCHITECTURE.md, invariant
/// 7), so no share, mask or dummy row is ever used for two rounds. When a share cannot be placed
/// on a spare, the round draws one fresh sharing and places it anew, avoiding every backend that
/// already failed it.
struct ShareRound: Sendable {
    /// The model (its name, sharing and arithmetic).
    let model: GatewayModel
    /// The layer this round multiplies by.
    let layer: SharedLayer
    /// Where the shares go.
    let fanOut: FanOut

    /// Shares `secret` (rows already padded), sends it, and recombines the first `realRows` rows.
    ///
    /// - Parameters:
    ///   - secret: `[rows, layer.inputs]`, encoded for the model's arithmetic (`encode` for
    ///     ring64) and proven exact.
    ///   - firstSharing: the first attempt's sharing of `secret` when drawn already (`split`);
    ///     a fresh sharing after a failure is always drawn here.
    ///   - addingBias: whether the answer includes the bias (false when a model plan adds it).
    /// - Returns: `realRows` output rows of `layer.outputs` values.
    /// - Throws: `GatewayError` (503 without enough backends, 504 at the deadline).
    func run(
        _ secret: ShareMatrix, firstSharing: [ShareMatrix]? = nil, realRows: Int, addingBias: Bool = true, deadline: ContinuousClock.Instant
    ) async throws(GatewayError) -> [[Double]] {
        let answer = try await runMatrix(secret, firstSharing: firstSharing, realRows: realRows, addingBias: addingBias, deadline: deadline)
        return (0..<answer.rows).map { Array(answer.row($0)) }
    }

    /// `run` answering with one matrix of `realRows × layer.outputs` (a plan's hidden rounds
    /// pass it straight on).
    func runMatrix(
        _ secret: ShareMatrix, firstSharing: [ShareMatrix]? = nil, realRows: Int, addingBias: Bool = true, deadline: ContinuousClock.Instant
    ) async throws(GatewayError) -> Matrix<Double> {
        let start = ContinuousClock.now
        defer { fanOut.metrics.recordRound(model: model.name, duration: .now - start) }
        var failedBackends = Set<Int>()
        var lastError: BackendError?
        // The first sharing, then at most one fresh sharing when no spare could take a share.
        attempts: for attempt in 0..<2 {
            if attempt > 0 {
                // Nothing left to try: the deadline passed, the request was cancelled, or the
                // first placement already found too few backends.
                if ContinuousClock.now >= deadline || Task.isCancelled || lastError?.isUnavailable == true { break attempts }
                fanOut.metrics.recordFailover(model: model.name, reason: "fresh_sharing")
            }
            let sharing = attempt == 0 ? firstSharing ?? split(secret) : split(secret)
            let batches = sharing.map {
                ShareBatch(layer: layer.name, arithmetic: model.arithmetic,
                           inputFractionBits: model.arithmetic == .ring64 ? layer.inputCodec.fractionBits : 0, shares: $0)
            }
            let sent = model.sharing == .replicated2of3
                ? await fanOut.sendReplicated(batches, outputs: layer.outputs, deadline: deadline, failedBackends: &failedBackends)
                : await fanOut.send(batches, outputs: layer.outputs, deadline: deadline, failedBackends: &failedBackends)
            switch sent {
            case .success(let answers):
                return recombine(answers, rows: realRows, addingBias: addingBias)
            case .failure(let error):
                lastError = error
            }
        }
        if ContinuousClock.now >= deadline {
            throw .deadlineExceeded("model '\(model.name)': the backends did not answer before the deadline")
        }
        throw .backendsUnavailable("model '\(model.name)': \(lastError?.description ?? "no backends")")
    }

    /// Fixed-point encodes the rows and proves every product stays exact in Z/2^64.
    ///
    /// - Throws: `GatewayError` 400s: a row of the wrong width, a value that is not finite or
    ///   outside the codec's range, or a row whose product could leave the exact range.
    func encode(_ rows: [[Double]]) throws(GatewayError) -> Matrix<Int64> {
        let width = layer.inputs
        var elements = [Int64]()
        elements.reserveCapacity(rows.count * width)
        for (rowIndex, row) in rows.enumerated() {
            guard row.count == width else {
                throw .wrongLength("row \(rowIndex) has \(row.count) values; model '\(model.name)' takes \(width)")
            }
            let start = elements.count
            for (column, value) in row.enumerated() {
                do {
                    elements.append(try layer.inputCodec.encode(value))
                } catch .notFinite {
                    throw .notFinite("row \(rowIndex), index \(column): not a finite number")
                } catch {
                    throw .outOfRange("row \(rowIndex), index \(column): magnitude must be below \(layer.inputCodec.limit) (input_frac_bits = \(layer.inputCodec.fractionBits))")
                }
            }
            guard layer.weights.productIsExact(for: elements[start...]) else {
                let headroom = layer.outputCodec.limit
                throw .outOfRange("row \(rowIndex): W·x could exceed the exact range ±\(headroom) of this model's fixed point; scale the input down")
            }
        }
        return Matrix(rows: rows.count, columns: width, elements: elements)
    }

    /// One fresh sharing of the prepared input: `k` shares from the secure generator (ring64),
    /// or masks on the model's float grid (float arithmetics).
    func split(_ secret: ShareMatrix) -> [ShareMatrix] {
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
    /// which counts exactly once (or not at all without `addingBias`): added here, less once
    /// for every answering backend that added it itself. Rows after `rows` are padding: they are
    /// never summed or decoded.
    private func recombine(_ answers: [FanOut.Partial], rows: Int, addingBias: Bool) -> Matrix<Double> {
        let outputs = layer.outputs
        let bias = layer.layer.bias
        switch model.arithmetic {
        case .ring64:
            let parts = answers.map { answer -> [Int64] in
                guard case .ring(let matrix) = answer.partial else { preconditionFailure("checked by the fan-out") }
                return matrix.elements
            }
            let sum = FixedPointRows.combineAndDecode(parts, count: rows * outputs, columns: outputs, codec: layer.outputCodec,
                                                      bias: bias, biasTimes: addingBias ? 1 : 0)
            return Matrix(rows: rows, columns: outputs, elements: sum)
        case .float32, .float64:
            let parts = answers.map { answer -> [Double] in
                guard case .real(let matrix) = answer.partial else { preconditionFailure("checked by the fan-out") }
                return Array(matrix.elements.prefix(rows * outputs))
            }
            let sum = FloatMasking.combine(parts)
            let biasCount = (addingBias ? 1.0 : 0.0) - Double(answers.filter { fanOut.backends.members[$0.member].endpoint.addsBias }.count)
            var elements = [Double]()
            elements.reserveCapacity(rows * outputs)
            for row in 0..<rows {
                for column in 0..<outputs { elements.append(sum[row * outputs + column] + biasCount * (bias?[column] ?? 0)) }
            }
            return Matrix(rows: rows, columns: outputs, elements: elements)
        }
    }
}
