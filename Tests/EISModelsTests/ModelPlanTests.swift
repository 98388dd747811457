import EISCore
import EISModels
import Testing

@Suite("Model plans")
struct ModelPlanTests {
    private func layer(_ name: String, out: Int, in inputs: Int, bias: Bool = true) -> LinearLayer {
        let weight = Matrix(rows: out, columns: inputs, elements: (0..<(out * inputs)).map { Double($0 % 7) / 10 - 0.3 })
        return LinearLayer(name: name, weight: weight, bias: bias ? (0..<out).map { Double($0) } : nil)
    }

    private func expectPlanError(_ code: String, containing text: String, _ build: () throws -> ModelPlan) {
        do {
            _ = try build()
            Issue.record("expected \(code)")
        } catch let error as ModelPlanError {
            #expect(error.shortDescription == code)
            #expect(error.message.contains(text), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a sequential plan chains layer names and local operations, and lists its layers in order")
    func sequentialPlanFromStepNames() throws {
        let layers = ["fc1": layer("fc1", out: 8, in: 4), "fc2": layer("fc2", out: 3, in: 8), "unused": layer("unused", out: 2, in: 2)]
        let plan = try ModelPlan.sequential(name: "mlp", steps: ["fc1", "relu", "fc2", "softmax"], layers: layers)
        #expect(plan.input == .features(width: 4))
        #expect(plan.outputWidth == 3)
        #expect(plan.linearLayerNames == ["fc1", "fc2"])
        #expect(plan.layers.keys.sorted() == ["fc1", "fc2"])
    }

    @Test("a step that is neither a layer nor an operation is refused, naming both lists")
    func unknownStepIsRefused() {
        let layers = ["fc1": layer("fc1", out: 8, in: 4)]
        expectPlanError("unknown_step", containing: "'relux' is neither a layer in the file (fc1)") {
            try ModelPlan.sequential(name: "mlp", steps: ["fc1", "relux"], layers: layers)
        }
        expectPlanError("unknown_step", containing: "is both a layer") {
            try ModelPlan.sequential(name: "mlp", steps: ["relu"], layers: ["relu": layer("relu", out: 2, in: 2)])
        }
        expectPlanError("unknown_step", containing: "steps is empty") { try ModelPlan.sequential(name: "mlp", steps: [], layers: layers) }
    }

    @Test("widths that do not chain are refused before any input is seen")
    func shapeMismatchIsRefused() {
        let layers = ["fc1": layer("fc1", out: 8, in: 4), "fc2": layer("fc2", out: 3, in: 5)]
        expectPlanError("shape_mismatch", containing: "layer 'fc2' takes 5 inputs, but its input has width 8") {
            try ModelPlan.sequential(name: "mlp", steps: ["fc1", "relu", "fc2"], layers: layers)
        }
    }

    @Test("a linear step naming a missing layer, a value read before it is written, and attention on feature rows are refused")
    func malformedPlansAreRefused() throws {
        let layers = ["fc1": layer("fc1", out: 6, in: 4)]
        expectPlanError("missing_layer", containing: "no linear layer 'fc9'") {
            try ModelPlan(name: "m", input: .features(width: 4), steps: [PlanStep(.linear("fc9"), "input", into: "a")], layers: layers)
        }
        expectPlanError("unknown_value", containing: "reads 'b'") {
            try ModelPlan(name: "m", input: .features(width: 4), steps: [PlanStep(.add, ["input", "b"], into: "a")], layers: layers)
        }
        expectPlanError("shape_mismatch", containing: "needs token rows") {
            try ModelPlan(name: "m", input: .features(width: 4),
                          steps: [PlanStep(.linear("fc1"), "input", into: "a"), PlanStep(.selfAttention(heads: 2), "a", into: "b")], layers: layers)
        }
        expectPlanError("shape_mismatch", containing: "layer norm of width 3") {
            try ModelPlan(name: "m", input: .features(width: 4),
                          steps: [PlanStep(.layerNorm(try LayerNormParameters(gamma: [1, 1, 1], beta: [0, 0, 0], epsilon: 1e-5)), "input", into: "a")],
                          layers: layers)
        }
    }

    @Test("the runner adds each layer's bias itself, so an evaluator never sees it")
    func runnerAddsTheBiasLocally() async throws {
        let fc = LinearLayer(name: "fc", weight: Matrix(rows: 2, columns: 2, elements: [1, 0, 0, 1]), bias: [10, 20])
        let plan = try ModelPlan.sequential(name: "id", steps: ["fc"], layers: ["fc": fc])
        let y = try await PlanRunner(plan: plan).run(.features(Matrix(rows: 1, columns: 2, elements: [1, 2])), evaluator: DoubleLinearEvaluator(layers: [fc]))
        #expect(y.elements == [11, 22])
    }

    @Test("an input of the wrong width or kind is the client's error")
    func wrongInputIsAClientError() async throws {
        let fc = layer("fc", out: 2, in: 3)
        let plan = try ModelPlan.sequential(name: "m", steps: ["fc"], layers: ["fc": fc])
        let runner = PlanRunner(plan: plan)
        for input in [PlanInput.features(Matrix(rows: 1, columns: 2, elements: [1, 2])), .tokens(try TokenBatch(sequences: [[1]], length: 1)),
                      .features(Matrix(rows: 1, columns: 3, elements: [1, .nan, 2]))] {
            do {
                _ = try await runner.run(input, evaluator: DoubleLinearEvaluator(layers: [fc]))
                Issue.record("accepted a bad input")
            } catch let error as ModelRunError {
                #expect(error.isClientError, "\(error)")
            }
        }
    }

    @Test("a batch longer than every bucket is refused; a shorter one takes the smallest bucket that fits")
    func lengthBuckets() throws {
        let buckets = try LengthBuckets([32, 16, 64])
        #expect(buckets.lengths == [16, 32, 64])
        #expect(try TokenBatch(sequences: [[1, 2, 3], Array(repeating: 1, count: 17)], buckets: buckets).length == 32)
        #expect(throws: ModelRunError.self) { try TokenBatch(sequences: [Array(repeating: 1, count: 65)], buckets: buckets) }
        #expect(throws: ModelRunError.self) { try TokenBatch(sequences: [[]], buckets: buckets) }
        #expect(throws: ModelRunError.self) { try TokenBatch(sequences: [], buckets: buckets) }
    }
}
