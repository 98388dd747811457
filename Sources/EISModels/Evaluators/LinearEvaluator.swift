public import EISCore

/// Computes `x · Wᵀ` for one linear layer of a plan, *without the bias*.
///
/// The gateway's implementation is a share round (encode, share, send, recombine); the local ones
/// here multiply in Double, in Float32, or simulate the ring exactly. The plan runner adds the
/// bias itself, so the bias never leaves the gateway whichever evaluator runs.
///
/// Implementations must return a `[rows, out]` matrix for an `[rows, in]` input and must not
/// block the calling thread for long (a round awaits its servers).
public protocol LinearEvaluator: Sendable {
    /// `input · Wᵀ` for the layer named `layer`.
    ///
    /// - Parameters:
    ///   - layer: the layer's name in the plan.
    ///   - input: `[rows, in]`, freshly computed by the previous steps.
    /// - Returns: `[rows, out]`, without the bias.
    func product(layer: String, input: Matrix<Double>) async throws -> Matrix<Double>
}
