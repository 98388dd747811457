/// The fractional bits of every round of a model: one default, with optional per-layer overrides.
public struct FixedPointScheme: Sendable, Hashable {
    /// The bits of a layer without an override.
    public let defaultBits: FixedPointBits
    /// Bits for particular layers, by name.
    public let perLayer: [String: FixedPointBits]

    /// Creates a scheme.
    public init(defaultBits: FixedPointBits, perLayer: [String: FixedPointBits] = [:]) {
        self.defaultBits = defaultBits
        self.perLayer = perLayer
    }

    /// The bits of the named layer.
    public func bits(for layer: String) -> FixedPointBits {
        perLayer[layer] ?? defaultBits
    }
}

extension FixedPointScheme {
    /// The bits for BERT-family encoders (all-MiniLM-L6-v2 measured; see the README).
    public static let bertDefault = FixedPointScheme(
        defaultBits: try! FixedPointBits(input: 22, weight: 26))  // swiftlint:disable:this force_try
}
