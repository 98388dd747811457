public import EISCore

/// One share matrix for one layer: what a backend is asked to multiply.
public struct ShareBatch: Sendable {
    /// The gateway's name of the layer to multiply by (`BackendEndpoint.remoteName(ofLayer:)`
    /// gives the server's name for it).
    public var layer: String
    /// The sharing's algebra; `shares` holds ring elements exactly when it is `ring64`.
    public var arithmetic: Arithmetic
    /// Fractional bits of the encoded input (ring64 only; 0 for float sharings).
    public var inputFractionBits: Int
    /// `[rows, in]` share elements.
    public var shares: ShareMatrix

    /// Creates a batch.
    ///
    /// - Precondition: `shares` fits `arithmetic` (ring elements for ring64, reals otherwise).
    public init(layer: String, arithmetic: Arithmetic, inputFractionBits: Int, shares: ShareMatrix) {
        precondition(shares.fits(arithmetic), "\(arithmetic) batch with the wrong element type")
        self.layer = layer
        self.arithmetic = arithmetic
        self.inputFractionBits = inputFractionBits
        self.shares = shares
    }

    /// A ring64 batch.
    public init(layer: String, ring shares: Matrix<Int64>, inputFractionBits: Int) {
        self.init(layer: layer, arithmetic: .ring64, inputFractionBits: inputFractionBits, shares: .ring(shares))
    }
}
