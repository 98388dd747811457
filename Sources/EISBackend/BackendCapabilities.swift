public import EISCore

/// What a backend can compute; the gateway only places sharings a backend can take.
public struct BackendCapabilities: Sendable, Hashable {
    /// Arithmetics the backend evaluates layers in.
    public var arithmetics: Set<Arithmetic>
    /// Most rows in one call.
    public var maxBatchRows: Int

    /// Creates capabilities.
    public init(arithmetics: Set<Arithmetic>, maxBatchRows: Int) {
        self.arithmetics = arithmetics
        self.maxBatchRows = maxBatchRows
    }
}
