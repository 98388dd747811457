public import EISCore
internal import Synchronization

/// Simulates every round exactly as the ring computes it, without a network: encode the input
/// (`fx`), check exactness, multiply by `W_enc` (`fw`) modulo 2^64 with EISCore's ring kernel,
/// decode. Sharing is left out because it cancels exactly in the sum, so the result equals what
/// a gateway with honest servers returns, bit for bit; tests use it to prove fixed-point accuracy.
public struct FixedPointLinearEvaluator: LinearEvaluator {
    /// The worst product bound seen per layer; a class so copies of the evaluator share it.
    private final class HeadroomRecord: Sendable {
        let fractions = Mutex<[String: Double]>([:])
    }

    private let model: String
    private let rounds: [String: FixedPointRound]
    private let headroom = HeadroomRecord()

    /// Encodes the weights of every layer with the scheme's bits.
    ///
    /// - Throws: `ModelPlanError.invalidParameters` when a weight does not fit its bits.
    public init(model: String, layers: [LinearLayer], scheme: FixedPointScheme) throws(ModelPlanError) {
        var rounds = [String: FixedPointRound]()
        for layer in layers where rounds[layer.name] == nil {
            rounds[layer.name] = try FixedPointRound(model: model, layer: layer, bits: scheme.bits(for: layer.name))
        }
        self.model = model
        self.rounds = rounds
    }

    /// For each layer evaluated so far, the largest fraction of 2^63 that a row's product bound
    /// reached (exactness needs below 1): the headroom real inputs leave.
    public func worstBoundFractions() -> [String: Double] {
        headroom.fractions.withLock { $0 }
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
        guard let round = rounds[layer], round.weights.inputs == input.columns else {
            throw ModelRunError.evaluatorMismatch(model: model, layer: layer, "no layer of that name takes \(input.columns) inputs")
        }
        let (encoded, fraction) = try round.encodeMeasuringHeadroom(input)
        headroom.fractions.withLock { $0[layer] = max($0[layer] ?? 0, fraction) }
        return round.decode(RingKernels.multiply(encoded, byTransposeOf: round.weights.packed))
    }
}
