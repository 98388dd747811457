/// A layer's weights encoded into Z/2^64 (`W_enc = round(W · 2^fw)`), with their digest and the
/// numbers needed to prove a product cannot wrap.
public struct EncodedWeights: Sendable {
    /// `W_enc`, shape `[out, in]`, stored as Int32 when every element fits (checked per layer).
    public let packed: RingWeights
    /// Fractional bits `fw` used for the weights.
    public let fractionBits: Int
    /// SHA-256 (hex) of `W_enc` as little-endian `Int64`, row-major: the identity that servers
    /// advertise and the gateway compares, so a server with other weights or another `fw` is refused.
    public let digest: String
    /// `max_i Σ_j |W_enc[i][j]|`, as a Double (rounded up slightly; used only as a bound).
    public let maxRowL1: Double
    /// `max_ij |W_enc[i][j]|`.
    public let maxAbs: Double

    /// Encodes a layer's weights.
    ///
    /// - Throws: `FixedPointError` when a weight does not fit in `fw` fractional bits.
    public init(_ weight: Matrix<Double>, fractionBits: Int) throws(FixedPointError) {
        let codec = FixedPointCodec(fractionBits: fractionBits)
        let encoded = try codec.encode(weight.elements)
        self.packed = RingWeights(Matrix(rows: weight.rows, columns: weight.columns, elements: encoded))
        self.fractionBits = fractionBits
        var rowMax = 0.0, absMax = 0.0
        for r in 0..<weight.rows {
            var l1 = 0.0
            for value in encoded[(r * weight.columns)..<((r + 1) * weight.columns)] {
                let magnitude = Double(value.magnitude)
                l1 += magnitude
                absMax = max(absMax, magnitude)
            }
            rowMax = max(rowMax, l1)
        }
        // Double sums of up to 2^63-sized terms carry relative error ≤ n·2^-53; one part in 10^9
        // more than covers it, so the bound stays a bound.
        self.maxRowL1 = rowMax * (1 + 1e-9)
        self.maxAbs = absMax
        // Always of the Int64 encoding, however the weights are stored, so servers that store them
        // differently still advertise the same identity.
        var littleEndian = encoded.map(\.littleEndian)
        self.digest = littleEndian.withUnsafeMutableBytes { SHA256Digest.hex(of: UnsafeRawBufferPointer($0)) }
    }

    /// `W_enc` as Int64, shape `[out, in]`: a widened copy for references and tests (kernels read `packed`).
    public var matrix: Matrix<Int64> { packed.matrix }

    /// Input width (columns of `W_enc`).
    public var inputs: Int { packed.columns }

    /// Output width (rows of `W_enc`).
    public var outputs: Int { packed.rows }

    /// An upper bound on `|Σ_j W_enc[i][j] · x_enc[j]|` over all rows `i`, as a Double.
    ///
    /// The smaller of `maxRowL1 · ‖x‖∞` and `maxAbs · ‖x‖₁`. Costs O(n) per input, against
    /// O(n·m) for the product itself.
    public func productBound(for input: ArraySlice<Int64>) -> Double {
        var lInf = 0.0, l1 = 0.0
        for value in input {
            let magnitude = Double(value.magnitude)
            lInf = max(lInf, magnitude)
            l1 += magnitude
        }
        return min(maxRowL1 * lInf, maxAbs * l1 * (1 + 1e-9))
    }

    /// Whether the product with this input is certain to be exact in Z/2^64 (bound < 2^63).
    public func productIsExact(for input: ArraySlice<Int64>) -> Bool {
        productBound(for: input) < 0x1p63 * (1 - 1e-9)
    }
}
