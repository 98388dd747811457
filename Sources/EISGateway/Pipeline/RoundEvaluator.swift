import EISBackend
import EISCore
import EISModels

/// The gateway's `LinearEvaluator`: every linear step of a model plan is one share round,
/// its input re-encoded in fixed point and freshly shared (docs/ARCHITECTURE.md, invariant 7).
///
/// Each round's input is proven exact before it is sent. The first round's input is the client's
/// and was checked in `InferencePipeline.prepare` (a 400); a hidden layer's input that leaves
/// the exact range is the gateway's failure: a 500 `fixed_point_overflow` naming the model and
/// the layer, counted in `eis_fixed_point_overflows_total`, never a wrapped number. A padding row
/// that would overflow is sent as zeros instead: its value is never read, and one random dummy
/// row must not fail the real rows it travels with.
struct RoundEvaluator: LinearEvaluator {
    /// The pipeline whose rounds run the layers.
    let pipeline: InferencePipeline
    /// Rows before this index are real; the rest are padding.
    let realRows: Int
    let deadline: ContinuousClock.Instant

    func product(layer name: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        let model = pipeline.model
        guard let index = model.layers.firstIndex(where: { $0.name == name }) else {
            throw GatewayError.internalError("model '\(model.name)': the plan names layer '\(name)', which the model does not share")
        }
        let round = pipeline.round(index)
        let layer = round.layer
        let (elements, inexactRows) = FixedPointRows.encode(input, codec: layer.inputCodec, weights: layer.weights)
        // Padding rows that would overflow are sent as zeros (FixedPointRows zeroes them).
        if let first = inexactRows.first, first < realRows {
            pipeline.metrics.recordFixedPointOverflow(model: model.name, layer: name)
            throw GatewayError.fixedPointOverflow(
                "model '\(model.name)', layer '\(name)': a hidden activation left the exact fixed-point range (input_frac_bits = \(layer.inputCodec.fractionBits), weight_frac_bits = \(layer.weights.fractionBits))")
        }
        let secret = ShareMatrix.ring(Matrix(rows: input.rows, columns: input.columns, elements: elements))
        return try await round.runMatrix(secret, realRows: input.rows, addingBias: false, deadline: deadline)
    }
}
