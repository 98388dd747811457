public import EISCore

/// Multiplies every linear layer locally in Float32 (OpenBLAS `sgemm`): the model run as an
/// ordinary float32 inference would, with no sharing. The benchmark's baseline.
///
/// Weights are converted to Float once; each product converts its input to Float and the result
/// back to Double (the local steps stay in Double).
public struct Float32LinearEvaluator: LinearEvaluator {
    private struct Weights: Sendable {
        let values: [Float]
        let outputs: Int
        let inputs: Int
    }

    private let layers: [String: Weights]

    /// Creates an evaluator for these layers (typically `plan.linearLayers`).
    public init(layers: [LinearLayer]) {
        var converted = [String: Weights]()
        for layer in layers where converted[layer.name] == nil {
            converted[layer.name] = Weights(values: layer.weight.elements.map { Float($0) }, outputs: layer.outputs, inputs: layer.inputs)
        }
        self.layers = converted
    }

    /// `input · Wᵀ` in Float32.
    ///
    /// - Throws: `ModelRunError.evaluatorMismatch` for an unknown layer or a wrong input width.
    public func product(layer: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        guard let weights = layers[layer], weights.inputs == input.columns else {
            throw ModelRunError.evaluatorMismatch(model: "local", layer: layer, "no layer of that name takes \(input.columns) inputs")
        }
        let x = input.elements.map { Float($0) }
        let y = BLAS.multiply(x, rows: input.rows, byTransposeOf: weights.values, outputs: weights.outputs, inputs: weights.inputs)
        return Matrix(rows: input.rows, columns: weights.outputs, elements: y.map { Double($0) })
    }
}
