public import EISCore

/// What a backend reports about the layer it serves; the gateway compares it with its own copy.
public struct RemoteLayer: Sendable, Hashable {
    /// Input width.
    public var inputs: Int
    /// Output width.
    public var outputs: Int
    /// Arithmetics the backend computes this layer in.
    public var arithmetics: Set<Arithmetic>
    /// Fractional bits of the backend's encoded weights (ring64 only; nil when it computes in floats).
    public var weightFractionBits: Int?
    /// SHA-256 of the encoded weights, when the protocol reports one.
    public var digest: String?

    /// Creates a description.
    public init(inputs: Int, outputs: Int, arithmetics: Set<Arithmetic> = [.ring64], weightFractionBits: Int?, digest: String?) {
        self.inputs = inputs
        self.outputs = outputs
        self.arithmetics = arithmetics
        self.weightFractionBits = weightFractionBits
        self.digest = digest
    }
}
