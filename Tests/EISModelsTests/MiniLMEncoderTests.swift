import EISCore
import EISModels
import Foundation
import Synchronization
import Testing

@Suite("all-MiniLM-L6-v2 against the float64 reference", .enabled(if: MiniLM.shouldRun))
struct MiniLMEncoderTests {
    /// Embeds every reference sentence in one padded batch and compares row by row.
    private func check(_ evaluator: some LinearEvaluator, label: String, cosine: Double, maxDelta: Double) async throws -> Double {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let items = try await MiniLMFixture.shared.reference()
        let y = try await encoder.embed(items.map(\.ids), evaluator: evaluator)
        #expect(y.rows == items.count && y.columns == 384)
        var worst = 0.0
        for (i, item) in items.enumerated() {
            let (c, d) = compare(y.row(i), item.embedding)
            #expect(c >= cosine, "\(label), sentence \(i) '\(item.text)': cosine \(c)")
            #expect(d <= maxDelta, "\(label), sentence \(i) '\(item.text)': max |Δ| \(d)")
            worst = max(worst, d)
        }
        return worst
    }

    @Test("the Double evaluator reproduces the float64 reference to rounding")
    func doubleEvaluatorMatchesReference() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let worst = try await check(DoubleLinearEvaluator(layers: encoder.linearLayers), label: "double", cosine: 0.99999, maxDelta: 1e-12)
        print("MiniLM double evaluator: max |Δ| = \(worst)")
    }

    @Test("fixed point with the default bits is within cosine 0.99999 and max |Δ| 1e-5 of float64, and never overflows")
    func fixedPointMatchesReference() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let evaluator = try FixedPointLinearEvaluator(model: encoder.name, layers: encoder.linearLayers, scheme: .bertDefault)
        let worst = try await check(evaluator, label: "fixed point", cosine: 0.99999, maxDelta: 1e-5)
        print("MiniLM fixed point (\(FixedPointScheme.bertDefault.defaultBits)): max |Δ| = \(worst)")
    }

    @Test("float32 products stay within the accuracy goal too")
    func float32EvaluatorIsClose() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let worst = try await check(Float32LinearEvaluator(layers: encoder.linearLayers), label: "float32", cosine: 0.99999, maxDelta: 1e-5)
        print("MiniLM float32 evaluator: max |Δ| = \(worst)")
    }

    @Test("padding to a larger bucket, or batching with longer sentences, gives the same embedding")
    func paddingDoesNotChangeTheEmbedding() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let items = try await MiniLMFixture.shared.reference()
        let short = Array(items[0..<4].map(\.ids))
        let evaluator = DoubleLinearEvaluator(layers: encoder.linearLayers)
        let runner = PlanRunner(plan: encoder.plan)
        let bucketed = try encoder.tokenBatch(short)
        #expect(bucketed.length == 16)
        let small = try await runner.run(.tokens(bucketed), evaluator: evaluator)
        let large = try await runner.run(.tokens(try TokenBatch(sequences: short, length: 128)), evaluator: evaluator)
        let mixed = try await encoder.embed(items.map(\.ids), evaluator: evaluator)
        for i in 0..<short.count {
            #expect(compare(small.row(i), Array(large.row(i))).maxDelta <= 1e-13)
            #expect(compare(small.row(i), Array(mixed.row(i))).maxDelta <= 1e-13)
        }
    }

    @Test("the model card's similarities: happy person vs dog 0.695, very happy person 0.943, sunny day 0.257")
    func modelCardCosines() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let items = try await MiniLMFixture.shared.reference()
        let y = try await encoder.embed(items[0..<4].map(\.ids), evaluator: DoubleLinearEvaluator(layers: encoder.linearLayers))
        let person = Array(y.row(0))
        for (i, expected) in [(1, 0.695), (2, 0.943), (3, 0.257)] {
            let cosine = compare(y.row(i), person).cosine
            #expect(abs(cosine - expected) < 0.0006, "sentence \(i): cosine \(cosine), model card \(expected)")
        }
    }

    @Test("the default bits leave at least 2^4 of headroom on every round of real sentences")
    func defaultBitsLeaveHeadroom() async throws {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let items = try await MiniLMFixture.shared.reference()
        let probe = HeadroomProbe(try FixedPointLinearEvaluator(model: encoder.name, layers: encoder.linearLayers, scheme: .bertDefault))
        _ = try await encoder.embed(items.map(\.ids), evaluator: probe)
        let worst = probe.worst()
        #expect(worst.count == 24)
        for (layer, fraction) in worst.sorted(by: { $0.key < $1.key }) {
            #expect(fraction < 1.0 / 16, "\(layer): the product bound uses \(fraction) of 2^63")
        }
    }

    @Test("every linear layer is listed with a stable name, Q, K and V fused into one [1152, 384] round")
    func linearLayersOfTheFolder() throws {
        let layers = try BertEncoder.linearLayers(inFolder: MiniLM.folder)
        #expect(layers.count == 24)
        #expect(layers.prefix(4).map(\.name) == ["encoder.layer.0.attention.self.qkv", "encoder.layer.0.attention.output.dense",
                                                  "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense"])
        let qkv = layers[0]
        #expect(qkv.outputs == 1152 && qkv.inputs == 384 && qkv.bias?.count == 1152)
        let file = try SafetensorsFile(contentsOf: MiniLM.folder + "/model.safetensors") { $0.hasPrefix("encoder.layer.0.attention.self.") }
        let key = try #require(file.tensors["encoder.layer.0.attention.self.key.weight"])
        #expect(Array(qkv.weight.elements[(384 * 384)..<(2 * 384 * 384)]) == key.values)
        #expect(Array(qkv.bias![768..<1152]) == file.tensors["encoder.layer.0.attention.self.value.bias"]?.values)
        #expect(layers.map(\.outputs) == Array(repeating: [1152, 384, 1536, 384], count: 6).flatMap { $0 })
    }
}

/// Wraps the fixed-point evaluator and records, per layer, the largest fraction of 2^63 that any
/// round input's product bound reached.
final class HeadroomProbe: LinearEvaluator {
    private let inner: FixedPointLinearEvaluator
    private let fractions = Mutex<[String: Double]>([:])

    init(_ inner: FixedPointLinearEvaluator) {
        self.inner = inner
    }

    func worst() -> [String: Double] {
        fractions.withLock { $0 }
    }

    func product(layer: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        if let round = inner.round(for: layer) {
            let encoded = try round.encode(input)
            var worst = 0.0
            for r in 0..<encoded.rows { worst = max(worst, round.boundFraction(ofEncodedRow: encoded.row(r))) }
            fractions.withLock { $0[layer] = max($0[layer] ?? 0, worst) }
        }
        return try await inner.product(layer: layer, input: input)
    }
}
