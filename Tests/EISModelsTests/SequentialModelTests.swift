import EISCore
import EISModels
import EISTestSupport
import Foundation
import Testing

@Suite("Sequential networks")
struct SequentialModelTests {
    /// A 3-layer MLP (24 → 32 → 16 → 5) written to a real safetensors file and read back.
    private func writeMLP() throws -> [String: LinearLayer] {
        var rng = SplitMix64(seed: 42)
        func values(_ count: Int, scale: Float) -> [Float] { (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) } }
        let tensors = [
            SafetensorsWriter.Tensor(name: "fc1.weight", shape: [32, 24], values: values(32 * 24, scale: 0.4)),
            SafetensorsWriter.Tensor(name: "fc1.bias", shape: [32], values: values(32, scale: 0.1)),
            SafetensorsWriter.Tensor(name: "fc2.weight", shape: [16, 32], values: values(16 * 32, scale: 0.3)),
            SafetensorsWriter.Tensor(name: "fc2.bias", shape: [16], values: values(16, scale: 0.1)),
            SafetensorsWriter.Tensor(name: "fc3.weight", shape: [5, 16], values: values(5 * 16, scale: 0.5)),
        ]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eis-mlp-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let path = try SafetensorsWriter.write(tensors, to: url)
        return try LinearLayer.layers(in: SafetensorsFile(contentsOf: path))
    }

    /// The same network with plain loops: y = W·x + b, relu, tanh, softmax.
    private func reference(_ x: [Double], _ layers: [String: LinearLayer]) -> [Double] {
        func dense(_ x: [Double], _ layer: LinearLayer) -> [Double] {
            (0..<layer.outputs).map { o in
                (0..<layer.inputs).reduce(layer.bias?[o] ?? 0) { $0 + layer.weight[o, $1] * x[$1] }
            }
        }
        let a = dense(x, layers["fc1"]!).map { max($0, 0) }
        let b = dense(a, layers["fc2"]!).map { Foundation.tanh($0) }
        let c = dense(b, layers["fc3"]!)
        let m = c.max()!
        let e = c.map { exp($0 - m) }
        return e.map { $0 / e.reduce(0, +) }
    }

    private func inputs(rows: Int) -> Matrix<Double> {
        var rng = SplitMix64(seed: 3)
        return Matrix(rows: rows, columns: 24, elements: (0..<(rows * 24)).map { _ in Double.random(in: -3...3, using: &rng) })
    }

    @Test("an MLP from a safetensors file matches a Double reference with every evaluator")
    func mlpMatchesDoubleReference() async throws {
        let layers = try writeMLP()
        let plan = try ModelPlan.sequential(name: "mlp", steps: ["fc1", "relu", "fc2", "tanh", "fc3", "softmax"], layers: layers)
        let x = inputs(rows: 9)
        let runner = PlanRunner(plan: plan)
        let scheme = FixedPointScheme(defaultBits: try FixedPointBits(input: Defaults.inputFractionBits, weight: Defaults.weightFractionBits))
        let evaluators: [(String, any LinearEvaluator, Double)] = [
            ("double", DoubleLinearEvaluator(layers: plan.linearLayers), 1e-12),
            ("fixed point", try FixedPointLinearEvaluator(model: "mlp", layers: plan.linearLayers, scheme: scheme), 1e-6),
            ("float32", Float32LinearEvaluator(layers: plan.linearLayers), 1e-5),
        ]
        for (label, evaluator, tolerance) in evaluators {
            let y = try await runner.run(.features(x), evaluator: evaluator)
            #expect(y.rows == 9 && y.columns == 5)
            var worst = 0.0
            for r in 0..<9 {
                let expected = reference(Array(x.row(r)), layers)
                for j in 0..<5 { worst = max(worst, abs(y[r, j] - expected[j])) }
            }
            #expect(worst < tolerance, "\(label): max |Δ| = \(worst)")
        }
    }

    @Test("a hidden layer's input that could overflow the ring is the gateway's error, naming model and layer")
    func hiddenOverflowNamesModelAndLayer() async throws {
        let big = LinearLayer(name: "up", weight: Matrix(rows: 4, columns: 4, repeating: 100), bias: nil)
        let down = LinearLayer(name: "down", weight: Matrix(rows: 1, columns: 4, repeating: 10), bias: nil)
        let plan = try ModelPlan.sequential(name: "loud", steps: ["up", "down"], layers: ["up": big, "down": down])
        let evaluator = try FixedPointLinearEvaluator(
            model: "loud", layers: plan.linearLayers, scheme: FixedPointScheme(defaultBits: try FixedPointBits(input: 22, weight: 26)))
        // 4 · 100 · 5 = 2000 into "down": 4 · 10 · 2000 = 80000 > the 2^15 headroom.
        do {
            _ = try await PlanRunner(plan: plan).run(.features(Matrix(rows: 1, columns: 4, repeating: 5)), evaluator: evaluator)
            Issue.record("an overflowing round was computed")
        } catch let error as ModelRunError {
            #expect(error.isOverflow && !error.isClientError)
            #expect(error.model == "loud" && error.layer == "down", "\(error)")
        }
        // The same model with a smaller input stays inside the headroom (4 · 10 · 100 = 4000) and is exact.
        let y = try await PlanRunner(plan: plan).run(.features(Matrix(rows: 1, columns: 4, repeating: 0.25)), evaluator: evaluator)
        #expect(y.elements == [4000])
    }
}
