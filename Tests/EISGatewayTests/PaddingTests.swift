import EISBackend
import EISCore
@testable import EISGateway
import EISTestSupport
import Testing
import Foundation

/// Padding batches to bucket sizes with dummy rows.
struct PaddingTests {
    @Test func everyRowCountIsPaddedToTheNextBucketOrAMultipleOfTheLargest() {
        let padding = Padding(buckets: [1, 8, 32, 128])
        let expected = [0: 1, 1: 1, 2: 8, 8: 8, 9: 32, 32: 32, 33: 128, 128: 128, 129: 256, 256: 256, 300: 384, 1024: 1024]
        for (rows, padded) in expected { #expect(padding.paddedCount(rows) == padded, "\(rows) rows") }
        #expect((1...1000).allSatisfy { Padding.none.paddedCount($0) == $0 }, "[1] is no padding")
    }

    @Test func paddingNeverGoesPastWhatEveryBackendAccepts() {
        let padding = Padding(buckets: [1, 8, 32, 128], maxRows: 64)
        let expected = [1: 1, 2: 8, 9: 32, 33: 64, 64: 64, 65: 65, 200: 200]
        for (rows, padded) in expected { #expect(padding.paddedCount(rows) == padded, "\(rows) rows") }
    }

    @Test func paddingKeepsTheRealRowsFirstAndAddsDummiesThatPassTheExactnessCheck() throws {
        let deployment = try RecordingDeployment()
        let model = deployment.model
        let real = try deployment.prepared([Fixtures.randomRow(seed: 1), Fixtures.randomRow(seed: 2)])
        var generator = SplitMix64(seed: 7)
        let padded = Padding(buckets: [1, 8, 32]).pad(real, model: model, using: &generator)
        guard case .ring(let matrix) = padded, case .ring(let original) = real else { Issue.record("ring64 expected"); return }
        #expect(matrix.rows == 8)
        #expect(Array(matrix.elements.prefix(original.elements.count)) == original.elements)
        for row in 2..<8 {
            #expect(model.layers[0].weights.productIsExact(for: matrix.row(row)), "dummy row \(row) is exact")
            #expect(matrix.row(row).contains { $0 != 0 }, "dummy rows are random, not zero")
        }
        // The dummies are drawn within the encoding of ±1.
        #expect(matrix.elements[(2 * 256)...].allSatisfy { abs($0) <= 1 << 22 })
        #expect(Set(matrix.elements[(2 * 256)...]).count > 1000, "dummy values vary")
    }

    @Test func dummyValuesAreUniformOverTheirWholeRangeEndsIncluded() {
        var generator = SplitMix64(seed: 11)
        var values = [Int64]()
        Padding.appendUniform(50_000, in: -2...2, to: &values, using: &generator)
        #expect(values.count == 50_000)
        let counts = Dictionary(grouping: values, by: { $0 }).mapValues(\.count)
        #expect(Set(counts.keys) == [-2, -1, 0, 1, 2])
        // 10,000 expected each; 4 standard deviations (≈ 358) either way.
        for (value, count) in counts { #expect(abs(count - 10_000) < 360, "\(value) drawn \(count) times") }
        var full = [Int64]()
        Padding.appendUniform(4, in: Int64.min...Int64.max, to: &full, using: &generator)
        #expect(full.count == 4 && Set(full).count == 4)
    }

    @Test func dummyRowsAreNarrowedForWeightsTooLargeForInputsOfOne() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            // Weights of 2^20 in 256 columns: ‖W_i‖₁ = 2^28 in real terms, so inputs of 1 would
            // give 2^28 · 2^48 = 2^76, far outside the ring.
            let path = try Fixtures.writeSafetensors([(name: "fc.weight", shape: [2, 256], values: [Float](repeating: 0x1p20, count: 512))],
                                                     to: directory.appendingPathComponent("big.safetensors"))
            var configuration = ModelConfiguration(name: "big", path: path)
            configuration.weightFractionBits = 10
            configuration.inputFractionBits = 10
            let model = try GatewayModel(configuration: configuration)
            var generator = SplitMix64(seed: 3)
            let padded = Padding(buckets: [4]).pad(.ring(Matrix(rows: 0, columns: 256, elements: [])), model: model, using: &generator)
            guard case .ring(let matrix) = padded else { Issue.record("ring64 expected"); return }
            #expect(matrix.rows == 4)
            for row in 0..<4 { #expect(model.layers[0].weights.productIsExact(for: matrix.row(row))) }
        }
    }
}
