/// Freivalds' check of a partial product over Z/2^64: decides whether `Y = X · W_encᵀ` without
/// multiplying by `W_enc`.
///
/// Holds `k` secret random check vectors `R` (`[k, outputs]`, uniform in Z/2^64) and their
/// products with the weights, `RW = R · W_enc mod 2^64` (`[k, inputs]`). A partial row `y` for a
/// share row `x` is accepted only when `R·y = RW·x` for every check vector: two ring products
/// with `k` outputs, `k · (inputs + outputs)` multiply-adds per row against
/// `inputs · outputs` for the product itself.
///
/// False accepts (docs/VERIFICATION.md): for a wrong row, `e = y − W_enc·x ≠ 0`, and `t` the
/// smallest 2-adic valuation of its coordinates, one uniform vector misses `e` with probability
/// exactly `2^−(64−t)` (the term at a coordinate of valuation `t` is uniform over the multiples of
/// `2^t`, whatever the other terms are). The worst case, `t = 63` (errors of `2^63`), is 1/2 per
/// vector, so `k` independent vectors miss with probability at most `2^−k`: `defaultVectors` = 40
/// gives at most `2^−40`.
///
/// The vectors must stay secret: whoever knows them can build a wrong answer that passes.
public struct FreivaldsCheck: Sendable {
    /// Vectors per layer: a false accept is at most `2^−40` whatever the error.
    public static let defaultVectors = 40

    /// `R`, `[k, outputs]`. Internal, not private, so tests can check that a reload draws new
    /// ones; never public: whoever knows them can build a lie that passes.
    let vectors: RingWeights
    /// `R · W_enc mod 2^64`, `[k, inputs]`.
    private let projected: RingWeights

    /// Number of check vectors `k`.
    public var count: Int { vectors.rows }
    /// The layer's input width.
    public var inputs: Int { projected.columns }
    /// The layer's output width.
    public var outputs: Int { vectors.columns }

    /// Draws `count` check vectors for `weights` and precomputes their product with it.
    ///
    /// Costs `count · inputs · outputs` multiply-adds once (through the ring kernels), at load.
    /// - Parameter generator: the secure generator in production; seeded in tests.
    /// - Precondition: `count ≥ 1`.
    public init(weights: EncodedWeights, count: Int = defaultVectors, using generator: inout some RandomNumberGenerator) {
        precondition(count >= 1, "at least one check vector")
        let outputs = weights.outputs, inputs = weights.inputs
        let r = Matrix(rows: count, columns: outputs,
                       elements: (0..<count * outputs).map { _ in Int64(bitPattern: generator.next()) })
        // R·W = R · (Wᵀ)ᵀ: the kernels multiply by a transposed matrix, so hand them Wᵀ.
        let w = weights.packed.matrix
        var transposed = [Int64](repeating: 0, count: inputs * outputs)
        for row in 0..<outputs {
            for column in 0..<inputs { transposed[column * outputs + row] = w.elements[row * inputs + column] }
        }
        let product = RingKernels.multiply(r, byTransposeOf: RingWeights(Matrix(rows: inputs, columns: outputs, elements: transposed)))
        self.vectors = RingWeights(keepingInt64: r)
        self.projected = RingWeights(keepingInt64: product)
    }

    /// Whether every row of `partial` is the product of the same row of `shares` with the weights.
    ///
    /// - Parameters:
    ///   - partial: `[rows, outputs]`, what a backend answered.
    ///   - shares: `[rows, inputs]`, what it was sent.
    /// - Precondition: the shapes fit the layer and each other.
    public func accepts(_ partial: Matrix<Int64>, for shares: Matrix<Int64>) -> Bool {
        precondition(partial.rows == shares.rows && partial.columns == outputs && shares.columns == inputs,
                     "partial \(partial.rows)×\(partial.columns) and shares \(shares.rows)×\(shares.columns) do not fit \(inputs)→\(outputs)")
        let left = RingKernels.multiply(partial, byTransposeOf: vectors)
        let right = RingKernels.multiply(shares, byTransposeOf: projected)
        return left.elements == right.elements
    }

    /// The check's cost relative to the product it checks: `k · (inputs + outputs) / (inputs · outputs)`.
    public static func costRatio(inputs: Int, outputs: Int, count: Int = defaultVectors) -> Double {
        Double(count) * Double(inputs + outputs) / (Double(inputs) * Double(outputs))
    }
}
