public import EISCore

/// The local arithmetic of one share round over one linear layer: encode the input into Z/2^64,
/// prove the product cannot wrap, and decode the recombined product.
///
/// A gateway round is `encode` → share → servers compute `W_enc · xᵢ` → sum mod 2^64 → `decode`;
/// `FixedPointLinearEvaluator` replaces the middle with the product of the unshared encoding,
/// which gives bit-for-bit the same sum, so it measures the round's fixed-point error exactly.
public struct FixedPointRound: Sendable {
    /// The model, for error messages.
    public let model: String
    /// The layer's name.
    public let layer: String
    /// The round's fractional bits.
    public let bits: FixedPointBits
    /// `W_enc` with its digest and the bounds that prove exactness.
    public let weights: EncodedWeights
    private let inputCodec: FixedPointCodec
    private let outputCodec: FixedPointCodec

    /// Encodes the layer's weights with `bits.weight` fractional bits.
    ///
    /// - Throws: `ModelPlanError.invalidParameters` when a weight does not fit.
    public init(model: String, layer: LinearLayer, bits: FixedPointBits) throws(ModelPlanError) {
        do {
            self.weights = try EncodedWeights(layer.weight, fractionBits: bits.weight)
        } catch {
            throw .invalidParameters("model '\(model)', layer '\(layer.name)': weights do not fit fw = \(bits.weight): \(error)")
        }
        self.model = model
        self.layer = layer.name
        self.bits = bits
        self.inputCodec = FixedPointCodec(fractionBits: bits.input)
        self.outputCodec = FixedPointCodec(fractionBits: bits.input + bits.weight)
    }

    /// `x_enc = round(x · 2^fx)`, every row proven exact (`|W_enc · x_enc| < 2^63`) before
    /// anything is sent.
    ///
    /// - Precondition: `x.columns` is the layer's input width.
    /// - Throws: `ModelRunError.overflow` naming the model, layer and row when a value cannot be
    ///   encoded or a row's product could wrap: the gateway's error, never the client's.
    public func encode(_ x: Matrix<Double>) throws(ModelRunError) -> Matrix<Int64> {
        try encodeMeasuringHeadroom(x).encoded
    }

    /// `encode(_:)`, also returning the largest fraction of 2^63 that a row's product bound
    /// reached (below 1 is exact): how much headroom real inputs leave, for tests and telemetry.
    public func encodeMeasuringHeadroom(_ x: Matrix<Double>) throws(ModelRunError) -> (encoded: Matrix<Int64>, boundFraction: Double) {
        precondition(x.columns == weights.inputs, "input width \(x.columns) for a layer of width \(weights.inputs)")
        var encoded = [Int64](repeating: 0, count: x.elements.count)
        var worst = 0.0
        let width = x.columns
        for r in 0..<x.rows {
            for j in 0..<width {
                do {
                    encoded[r * width + j] = try inputCodec.encode(x.elements[r * width + j])
                } catch {
                    throw .overflow(model: model, layer: layer, "round input row \(r), index \(j) cannot be encoded with \(bits): \(error)")
                }
            }
            let row = encoded[(r * width)..<((r + 1) * width)]
            guard weights.productIsExact(for: row) else {
                throw .overflow(model: model, layer: layer,
                                "round input row \(r) could make |W·x| reach the headroom \(bits.headroom) of \(bits); refusing to send a product that may wrap")
            }
            worst = max(worst, weights.productBound(for: row) / 0x1p63)
        }
        return (Matrix(rows: x.rows, columns: width, elements: encoded), worst)
    }

    /// `W_enc · x_enc` (the recombined sum, read as signed) divided by `2^(fx+fw)`; no bias.
    public func decode(_ product: Matrix<Int64>) -> Matrix<Double> {
        product.map { outputCodec.decode($0) }
    }
}
