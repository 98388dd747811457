public import EISCore

/// The gateway's own copy of a model's layer: shape, bias (which never leaves the gateway) and
/// the encoded weights whose digest backends must match and whose size bounds prove exactness.
public struct GatewayModel: Sendable {
    /// Name clients use.
    public let name: String
    /// The layer served.
    public let layer: LinearLayer
    /// `W_enc` with digest and bounds.
    public let weights: EncodedWeights
    /// Input codec (`fx` fractional bits).
    public let inputCodec: FixedPointCodec
    /// Output codec (`fx + fw` fractional bits).
    public let outputCodec: FixedPointCodec
    /// Number of shares per input.
    public let shares: Int
    /// The sharing's arithmetic (ring64 unless the configuration allows float sharing).
    public let arithmetic: Arithmetic
    /// The grid float masks, inputs and shares live on (float arithmetics only; nil for ring64).
    public let floatMaskGrid: FloatMaskGrid?

    /// Loads the model file named in `configuration`.
    ///
    /// - Throws: `ModelLoadError` naming the file and the problem.
    public init(configuration: ModelConfiguration) throws(ModelLoadError) {
        let layers: [String: LinearLayer]
        do {
            layers = try LinearLayer.layers(in: try SafetensorsFile(contentsOf: configuration.path))
        } catch {
            throw ModelLoadError(model: configuration.name, message: error.description)
        }
        let layer: LinearLayer
        if let wanted = configuration.layer {
            guard let found = layers[wanted] else {
                throw ModelLoadError(model: configuration.name,
                                     message: "\(configuration.path) has no layer '\(wanted)' (has: \(layers.keys.sorted().joined(separator: ", ")))")
            }
            layer = found
        } else {
            guard layers.count == 1, let only = layers.values.first else {
                throw ModelLoadError(model: configuration.name,
                                     message: "\(configuration.path) has \(layers.count) layers (\(layers.keys.sorted().joined(separator: ", "))); name one with `layer`")
            }
            layer = only
        }
        do {
            weights = try EncodedWeights(layer.weight, fractionBits: configuration.weightFractionBits)
        } catch {
            throw ModelLoadError(model: configuration.name, message: "weights do not fit weight_frac_bits = \(configuration.weightFractionBits): \(error)")
        }
        self.name = configuration.name
        self.layer = layer
        self.inputCodec = FixedPointCodec(fractionBits: configuration.inputFractionBits)
        self.outputCodec = FixedPointCodec(fractionBits: configuration.inputFractionBits + configuration.weightFractionBits)
        self.shares = configuration.shares
        self.arithmetic = configuration.arithmetic
        if configuration.arithmetic != .ring64, let range = configuration.floatMaskRange {
            self.floatMaskGrid = FloatMaskGrid(range: range, shares: configuration.shares, arithmetic: configuration.arithmetic)
        } else {
            self.floatMaskGrid = nil
        }
    }
}

/// A model file that cannot be served.
public struct ModelLoadError: Error, Sendable, CustomStringConvertible {
    /// The model's configured name.
    public let model: String
    /// What is wrong.
    public let message: String
    public var description: String { "model '\(model)': \(message)" }
}
