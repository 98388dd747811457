public import EISCore

/// One linear layer as the gateway shares it: the weights whose digest backends must match and
/// whose size bounds prove each round exact, the bias (which never leaves the gateway), and the
/// fixed point of the layer's round.
public struct SharedLayer: Sendable {
    /// The layer: its name (the same on backends unless `remote_layer` renames it), W and b.
    public let layer: LinearLayer
    /// `W_enc` with digest and bounds.
    public let weights: EncodedWeights
    /// Input codec (`fx` fractional bits): how the round encodes the layer's input.
    public let inputCodec: FixedPointCodec
    /// Output codec (`fx + fw` fractional bits): how the round decodes the recombined partials.
    public let outputCodec: FixedPointCodec

    /// The layer's name.
    public var name: String { layer.name }
    /// Input width.
    public var inputs: Int { layer.inputs }
    /// Output width.
    public var outputs: Int { layer.outputs }

    /// Encodes `layer`'s weights with `weightFractionBits` and its inputs with `inputFractionBits`.
    ///
    /// - Throws: `FixedPointError` when a weight does not fit the fixed point.
    public init(_ layer: LinearLayer, inputFractionBits: Int, weightFractionBits: Int) throws(FixedPointError) {
        self.layer = layer
        self.weights = try EncodedWeights(layer.weight, fractionBits: weightFractionBits)
        self.inputCodec = FixedPointCodec(fractionBits: inputFractionBits)
        self.outputCodec = FixedPointCodec(fractionBits: inputFractionBits + weightFractionBits)
    }
}
