import EISCore
import EISModels
import EISTestSupport
import Foundation
import Testing

@Suite("all-MiniLM-L6-v2 against the float64 reference", .enabled(if: MiniLM.shouldRun))
struct MiniLMEncoderTests {
    /// Embeds the reference sentences the way a gateway batches them, per length bucket (up to 32
    /// sentences a batch), and compares each with its float64 reference.
    private func check(_ evaluator: some LinearEvaluator, label: String, cosine: Double, maxDelta: Double) async throws -> Double {
        let encoder = try await MiniLMFixture.shared.bertEncoder()
        let items = try await MiniLMFixture.shared.reference()
        var groups = [Int: [Int]]()
        for (i, item) in items.enumerated() { groups[encoder.buckets.bucket(for: item.ids.count) ?? 0, default: []].append(i) }
        var worst = 0.0
        for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: members.count, by: 32) {
                let batch = Array(members[start..<min(start + 32, members.count)])
                let y = try await encoder.embed(batch.map { items[$0].ids }, evaluator: evaluator)
                #expect(y.rows == batch.count && y.columns == 384)
                for (row, i) in batch.enumerated() {
                    let (c, d) = compare(y.row(row), items[i].embedding)
                    #expect(c >= cosine, "\(label), sentence \(i) '\(items[i].text)': cosine \(c)")
                    #expect(d <= maxDelta, "\(label), sentence \(i) '\(items[i].text)': max |Δ| \(d)")
                    worst = max(worst, d)
                }
            }
        }
        return worst
    }

    @Test("the Double evaluator reproduces the float64 reference to rounding")
    func doubleEvaluatorMatchesReference() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let encoder = try await MiniLMFixture.shared.bertEncoder()
            let worst = try await check(DoubleLinearEvaluator(layers: encoder.linearLayers), label: "double", cosine: 0.99999, maxDelta: 1e-12)
            print("MiniLM double evaluator: max |Δ| = \(worst)")
        }
    }

    @Test("fixed point with the default bits is within cosine 0.99999 and max |Δ| 1e-5 of float64, with at least 2^4 of headroom in every round")
    func fixedPointMatchesReference() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let encoder = try await MiniLMFixture.shared.bertEncoder()
            let evaluator = try FixedPointLinearEvaluator(model: encoder.name, layers: encoder.linearLayers, scheme: .bertDefault)
            let worst = try await check(evaluator, label: "fixed point", cosine: 0.99999, maxDelta: 1e-5)
            print("MiniLM fixed point (\(FixedPointScheme.bertDefault.defaultBits)): max |Δ| = \(worst)")
            // The product bound (max row L1 of W_enc times max |x_enc|) of every round stays far from 2^63.
            let fractions = evaluator.worstBoundFractions()
            #expect(fractions.count == 24)
            for (layer, fraction) in fractions.sorted(by: { $0.key < $1.key }) {
                #expect(fraction < 1.0 / 16, "\(layer): the product bound uses \(fraction) of 2^63")
            }
        }
    }

    @Test("float32 products stay within the accuracy goal too")
    func float32EvaluatorIsClose() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let encoder = try await MiniLMFixture.shared.bertEncoder()
            let worst = try await check(Float32LinearEvaluator(layers: encoder.linearLayers), label: "float32", cosine: 0.99999, maxDelta: 1e-5)
            print("MiniLM float32 evaluator: max |Δ| = \(worst)")
        }
    }

    @Test("padding to a larger bucket, or batching with longer sentences, gives the same embedding")
    func paddingDoesNotChangeTheEmbedding() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
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
    }

    @Test("the model card's similarities: happy person vs dog 0.695, very happy person 0.943, sunny day 0.257")
    func modelCardCosines() async throws {
        // CPU-heavy: off the cooperative pool, so tests running beside it keep their deadlines.
        try await OffPool.run {
            let encoder = try await MiniLMFixture.shared.bertEncoder()
            let items = try await MiniLMFixture.shared.reference()
            let y = try await encoder.embed(items[0..<4].map(\.ids), evaluator: DoubleLinearEvaluator(layers: encoder.linearLayers))
            let person = Array(y.row(0))
            for (i, expected) in [(1, 0.695), (2, 0.943), (3, 0.257)] {
                let cosine = compare(y.row(i), person).cosine
                #expect(abs(cosine - expected) < 0.0006, "sentence \(i): cosine \(cosine), model card \(expected)")
            }
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
