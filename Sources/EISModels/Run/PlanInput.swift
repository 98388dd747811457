public import EISCore

/// The input of one plan run.
public enum PlanInput: Sendable {
    /// Feature rows, for a plan whose input is `.features(width:)`.
    case features(Matrix<Double>)
    /// A padded token batch, for a plan whose input is `.tokens`.
    case tokens(TokenBatch)
}
