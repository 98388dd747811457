public import EISCore

extension ModelPlan {
    /// A sequential network from step names, e.g. `["fc1", "relu", "fc2", "softmax"]`.
    ///
    /// A name is a linear layer of `layers` (the tensor prefix before `.weight` in the
    /// safetensors file) or an element-wise operation (`PlanOperation.elementwiseKeywords`). The
    /// input width is the first layer's; each step feeds the next.
    ///
    /// - Throws: `ModelPlanError` for an empty list, a name that is neither (or both), no linear
    ///   layer at all, or widths that do not chain.
    public static func sequential(name: String, steps names: [String], layers: [String: LinearLayer]) throws(ModelPlanError) -> ModelPlan {
        guard !names.isEmpty else { throw .unknownStep("model '\(name)': steps is empty") }
        var steps = [PlanStep]()
        var current = ModelPlan.inputName
        for (index, stepName) in names.enumerated() {
            let local = PlanOperation.elementwise(named: stepName)
            let operation: PlanOperation
            switch (layers[stepName], local) {
            case (.some, .some):
                throw .unknownStep("model '\(name)', step \(index): '\(stepName)' is both a layer in the file and a local operation; rename the layer")
            case (.some, nil):
                operation = .linear(stepName)
            case (nil, .some(let op)):
                operation = op
            case (nil, nil):
                let known = layers.keys.sorted().joined(separator: ", ")
                throw .unknownStep("model '\(name)', step \(index): '\(stepName)' is neither a layer in the file (\(known)) nor a local operation (\(PlanOperation.elementwiseKeywords.joined(separator: ", ")))")
            }
            let output = "s\(index)"
            steps.append(PlanStep(operation, current, into: output))
            current = output
        }
        guard let firstLayer = names.lazy.compactMap({ layers[$0] }).first else {
            throw .unknownStep("model '\(name)': steps name no linear layer")
        }
        return try ModelPlan(name: name, input: .features(width: firstLayer.inputs), steps: steps, layers: layers)
    }
}
