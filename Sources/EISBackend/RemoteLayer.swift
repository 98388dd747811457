/// What a backend reports about the layer it serves; the gateway compares it with its own copy.
public struct RemoteLayer: Sendable, Hashable {
    /// Input width.
    public var inputs: Int
    /// Output width.
    public var outputs: Int
    /// Fractional bits of the backend's encoded weights.
    public var weightFractionBits: Int
    /// SHA-256 of the encoded weights, when the protocol reports one.
    public var digest: String?

    /// Creates a description.
    public init(inputs: Int, outputs: Int, weightFractionBits: Int, digest: String?) {
        self.inputs = inputs
        self.outputs = outputs
        self.weightFractionBits = weightFractionBits
        self.digest = digest
    }
}
