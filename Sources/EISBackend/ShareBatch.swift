public import EISCore

/// One share matrix for one layer: what a backend is asked to multiply.
public struct ShareBatch: Sendable {
    /// The sharing's algebra.
    public var arithmetic: Arithmetic
    /// Fractional bits of the encoded input.
    public var inputFractionBits: Int
    /// `[rows, in]` share elements.
    public var shares: Matrix<Int64>

    /// Creates a batch.
    public init(arithmetic: Arithmetic, inputFractionBits: Int, shares: Matrix<Int64>) {
        self.arithmetic = arithmetic
        self.inputFractionBits = inputFractionBits
        self.shares = shares
    }
}
