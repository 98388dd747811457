public import EISCore

/// Walks a model plan: linear steps go to an injected evaluator (one round each), local steps
/// run here, and the bias of every linear layer is added locally.
public struct PlanRunner: Sendable {
    /// The plan it runs.
    public let plan: ModelPlan

    /// Creates a runner for a validated plan.
    public init(plan: ModelPlan) {
        self.plan = plan
    }

    /// Runs the plan on one input.
    ///
    /// - Parameter evaluator: computes every linear step's `x · Wᵀ` (without bias).
    /// - Returns: the last step's value: `[rows, outputWidth]` for feature rows, one row per
    ///   token for token outputs, one row per sequence after pooling.
    /// - Throws: `ModelRunError` for an input that does not fit the plan or a wrong-shaped
    ///   answer, and whatever the evaluator throws (e.g. a fixed-point overflow, a failed round).
    public func run(_ input: PlanInput, evaluator: some LinearEvaluator) async throws -> Matrix<Double> {
        var values = [String: Matrix<Double>]()
        var tokens: TokenBatch?
        switch (plan.input, input) {
        case (.features(let width), .features(let x)):
            guard x.columns == width else {
                throw ModelRunError.invalidInput("model '\(plan.name)' takes rows of \(width) values, got \(x.columns)")
            }
            guard x.rows > 0 else { throw ModelRunError.invalidInput("model '\(plan.name)': the input has no rows") }
            if let bad = x.elements.firstIndex(where: { !$0.isFinite }) {
                throw ModelRunError.invalidInput("row \(bad / width), index \(bad % width) is not a finite number")
            }
            values[ModelPlan.inputName] = x
        case (.tokens, .tokens(let batch)):
            tokens = batch
        case (.features, .tokens):
            throw ModelRunError.invalidInput("model '\(plan.name)' takes feature rows, not tokens")
        case (.tokens, .features):
            throw ModelRunError.invalidInput("model '\(plan.name)' takes token ids, not feature rows")
        }
        var last = Matrix<Double>(rows: 0, columns: 0, elements: [])
        for (index, step) in plan.steps.enumerated() {
            // Validation guarantees every read value exists and token steps have a token batch.
            let x = step.inputs.first.flatMap { values[$0] } ?? last
            let y: Matrix<Double>
            switch step.operation {
            case .linear(let name):
                y = try await linear(name, x, evaluator)
            case .relu: y = LocalKernels.relu(x)
            case .gelu: y = LocalKernels.gelu(x)
            case .tanh: y = LocalKernels.tanh(x)
            case .sigmoid: y = LocalKernels.sigmoid(x)
            case .softmax: y = LocalKernels.softmax(x)
            case .l2Normalize: y = LocalKernels.l2Normalize(x)
            case .layerNorm(let parameters): y = LocalKernels.layerNorm(x, parameters)
            case .add: y = LocalKernels.add(x, values[step.inputs[1]] ?? x)
            case .embedding(let tables): y = try LocalKernels.embed(try batch(tokens), tables)
            case .selfAttention(let heads): y = SelfAttention.attend(x, heads: heads, layout: try batch(tokens))
            case .meanPooling: y = LocalKernels.meanPool(x, try batch(tokens))
            }
            for released in plan.releasedAfter[index] { values[released] = nil }
            values[step.output] = y
            last = y
        }
        return last
    }

    private func batch(_ tokens: TokenBatch?) throws(ModelRunError) -> TokenBatch {
        guard let tokens else { throw .invalidInput("model '\(plan.name)' needs a token batch") }
        return tokens
    }

    /// One round: the evaluator's product, its shape checked, plus the bias (added here, locally).
    private func linear(_ name: String, _ x: Matrix<Double>, _ evaluator: some LinearEvaluator) async throws -> Matrix<Double> {
        guard let layer = plan.layers[name] else {
            throw ModelRunError.evaluatorMismatch(model: plan.name, layer: name, "the plan has no such layer")
        }
        var y = try await evaluator.product(layer: name, input: x)
        guard y.rows == x.rows, y.columns == layer.outputs else {
            throw ModelRunError.evaluatorMismatch(
                model: plan.name, layer: name, "the evaluator answered \(y.rows)×\(y.columns), expected \(x.rows)×\(layer.outputs)")
        }
        if let bias = layer.bias {
            let width = layer.outputs
            y.elements.withUnsafeMutableBufferPointer { out in
                for r in 0..<y.rows {
                    for j in 0..<width { out[r * width + j] += bias[j] }
                }
            }
        }
        return y
    }
}
