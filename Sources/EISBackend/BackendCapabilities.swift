public import EISCore

/// What a backend can compute; the gateway only places sharings a backend can take.
public struct BackendCapabilities: Sendable, Hashable {
    /// Arithmetics the backend evaluates layers in.
    public var arithmetics: Set<Arithmetic>
    /// Most rows in one call.
    public var maxBatchRows: Int
    /// Whether one endpoint serves many layers of a model, each named in the request (the
    /// native protocol); false when an endpoint is one layer (a KServe V2 model, the note's
    /// `/matmul`), so the backend can serve only single-layer models.
    public var servesLayersByName: Bool

    /// Creates capabilities.
    public init(arithmetics: Set<Arithmetic>, maxBatchRows: Int, servesLayersByName: Bool = false) {
        self.arithmetics = arithmetics
        self.maxBatchRows = maxBatchRows
        self.servesLayersByName = servesLayersByName
    }
}
