public import EISCore

/// Simulates every round exactly as the ring computes it, without a network: encode the input
/// (`fx`), check exactness, multiply by `W_enc` (`fw`) modulo 2^64 with EISCore's ring kernel,
/// decode. Sharing is left out because it cancels exactly in the sum, so the result equals what
/// a gateway with honest servers returns, bit for bit; tests use it to prove fixed-point accuracy.
public struct FixedPointLinearEvaluator: LinearEvaluator {
    private let rounds: [String: FixedPointRound]

    /// Encodes the weights of every layer with the scheme's bits.
    ///
    /// - Throws: `ModelPlanError.invalidParameters` when a weight does not fit its bits.
    public init(model: String, layers: [LinearLayer], scheme: FixedPointScheme) throws(ModelPlanError) {
        var rounds = [String: FixedPointRound]()
        for layer in layers where rounds[layer.name] == nil {
            rounds[layer.name] = try FixedPointRound(model: model, layer: layer, bits: scheme.bits(for: layer.name))
        }
        self.rounds = rounds
    }

    /// The round of a layer (its encoded weights and bits).
    public func round(for layer: String) -> FixedPointRound? {
        rounds[layer]
    }

    /// `decode(W_enc · encode(input) mod 2^64)`.
    ///
    /// - Throws: `ModelRunError.overflow` when the input could wrap; `.evaluatorMismatch` for an
    ///   unknown layer or a wrong width.
    public func product(layer: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        guard let round = rounds[layer], round.weights.matrix.columns == input.columns else {
            throw ModelRunError.evaluatorMismatch(model: "local", layer: layer, "no layer of that name takes \(input.columns) inputs")
        }
        let encoded = try round.encode(input)
        return round.decode(RingKernels.multiply(encoded, byTransposeOf: round.weights.matrix))
    }
}
