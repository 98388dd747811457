public import EISCore

/// Multiplies every linear layer locally in Double (OpenBLAS `dgemm`): the reference that fixed
/// point and float32 are measured against, with no sharing and no network.
public struct DoubleLinearEvaluator: LinearEvaluator {
    private let layers: [String: LinearLayer]

    /// Creates an evaluator for these layers (typically `plan.linearLayers`).
    public init(layers: [LinearLayer]) {
        self.layers = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// `input · Wᵀ` in Double.
    ///
    /// - Throws: `ModelRunError.evaluatorMismatch` for an unknown layer or a wrong input width.
    public func product(layer: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        guard let linear = layers[layer], linear.inputs == input.columns else {
            throw ModelRunError.evaluatorMismatch(model: "local", layer: layer, "no layer of that name takes \(input.columns) inputs")
        }
        let y = BLAS.multiply(input.elements, rows: input.rows, byTransposeOf: linear.weight.elements,
                              outputs: linear.outputs, inputs: linear.inputs)
        return Matrix(rows: input.rows, columns: linear.outputs, elements: y)
    }
}
