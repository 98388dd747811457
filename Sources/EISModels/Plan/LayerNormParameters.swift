/// The learned scale and shift of one layer normalisation, and its epsilon.
public struct LayerNormParameters: Sendable {
    /// `gamma` (PyTorch's `weight`), one per feature.
    public let gamma: [Double]
    /// `beta` (PyTorch's `bias`), one per feature.
    public let beta: [Double]
    /// Added to the variance before the square root (BERT: `layer_norm_eps`, 1e-12).
    public let epsilon: Double

    /// The number of features normalised together.
    public var width: Int { gamma.count }

    /// Creates the parameters.
    ///
    /// - Throws: `ModelPlanError` when gamma and beta differ in length, are empty or hold a
    ///   non-finite value, or epsilon is negative.
    public init(gamma: [Double], beta: [Double], epsilon: Double) throws(ModelPlanError) {
        guard !gamma.isEmpty, gamma.count == beta.count else {
            throw .invalidParameters("layer norm gamma has \(gamma.count) values and beta \(beta.count)")
        }
        guard gamma.allSatisfy(\.isFinite), beta.allSatisfy(\.isFinite) else {
            throw .invalidParameters("layer norm holds a non-finite value")
        }
        guard epsilon.isFinite, epsilon >= 0 else { throw .invalidParameters("layer norm epsilon \(epsilon) is not a finite non-negative number") }
        self.gamma = gamma
        self.beta = beta
        self.epsilon = epsilon
    }
}
