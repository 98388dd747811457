import EISCore
@testable import EISGateway
import EISServer
import Foundation
import HTTPTypes
import Prometheus
import Testing
import EISTestSupport

/// The pipeline's encoding checks (no backends needed) and exact recombination over k = 3.
@Suite struct InferencePipelineTests {
    /// A pipeline over a model file with no backends: enough for `encode`.
    static func pipeline(modelPath: String = Fixtures.demoModelPath) throws -> InferencePipeline {
        var configuration = ModelConfiguration(name: "demo", path: modelPath)
        configuration.layer = "fc"
        return InferencePipeline(
            model: try GatewayModel(configuration: configuration), backends: ModelBackends(members: []),
            metrics: GatewayMetrics(), logger: Fixtures.logger)
    }

    /// The error `encode` throws, or nil when it accepts the rows.
    static func encodeError(_ pipeline: InferencePipeline, _ rows: [[Double]]) -> GatewayError? {
        do throws(GatewayError) {
            _ = try pipeline.encode(rows)
            return nil
        } catch {
            return error
        }
    }

    /// Runs `body` with a pipeline over an all-zero 2×4 layer, where only the per-value limit applies.
    static func withZeroWeightPipeline(_ body: (InferencePipeline) throws -> Void) async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try Fixtures.writeSafetensors([
                (name: "fc.weight", shape: [2, 4], values: [Float](repeating: 0, count: 8)),
            ], to: directory.appendingPathComponent("zero.safetensors"))
            try body(try pipeline(modelPath: path))
        }
    }

    /// `round(v · 2^bits)` as an integer, computed here.
    static func fixed(_ value: Double, bits: Int) -> Int64 {
        Int64((value * Double(sign: .plus, exponent: bits, significand: 1)).rounded(.toNearestOrEven))
    }

    /// The largest `c` for which the row (c, c, …, c) passes the product bound on the demo layer:
    /// `max_i Σ_j |W_enc[i][j]| · round(c · 2^22) < 2^63`, computed from the file.
    static func demoUniformLimit() throws -> Double {
        let layer = try Fixtures.demoLayer()
        var maxRowL1 = 0.0
        for o in 0..<layer.outputs {
            var l1 = 0.0
            for j in 0..<layer.inputs { l1 += Double(fixed(layer.weight[o, j], bits: 26).magnitude) }
            maxRowL1 = max(maxRowL1, l1)
        }
        return 0x1p63 / maxRowL1 / 0x1p22
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func encodeRefusesNonFiniteValuesAsNotFinite(_ value: Double) throws {
        var row = Fixtures.randomRow(seed: 1)
        row[17] = value
        let error = try #require(Self.encodeError(try Self.pipeline(), [Fixtures.randomRow(seed: 2), row]))
        #expect(error.code == "not_finite")
        #expect(error.status == .badRequest)
        #expect(error.message.contains("row 1"))
        #expect(error.message.contains("index 17"))
    }

    @Test(arguments: [0x1p41, -0x1p41, 1e300, -1e300])
    func encodeRefusesAValueAtOrBeyondTheEncodableLimit(_ value: Double) async throws {
        try await Self.withZeroWeightPipeline { pipeline in
            let error = try #require(Self.encodeError(pipeline, [[0, 0, value, 0]]))
            #expect(error.code == "out_of_range")
            #expect(error.status == .badRequest)
            #expect(error.message.contains("index 2"))
        }
    }

    @Test func encodeAcceptsTheLargestEncodableValues() async throws {
        // 2^41 is the limit for fx = 22; the largest Double below it encodes to 2^63 − 1024.
        try await Self.withZeroWeightPipeline { pipeline in
            let largest = (0x1p41 as Double).nextDown
            let encoded = try pipeline.encode([[largest, -largest, 0, 0x1p-22]])
            #expect(encoded.elements == [Int64.max - 1023, -(Int64.max - 1023), 0, 1])
        }
    }

    @Test func encodeRefusesAnInputWhoseProductCouldLeaveTheExactRange() throws {
        let limit = try Self.demoUniformLimit()
        let pipeline = try Self.pipeline()
        for row in [Array(repeating: limit * 1.001, count: 256), Array(repeating: 1e9, count: 256)] {
            let error = try #require(Self.encodeError(pipeline, [Fixtures.randomRow(seed: 3), row]))
            #expect(error.code == "out_of_range")
            #expect(error.message.contains("row 1"))
            #expect(error.message.contains("W·x"))
        }
    }

    @Test func encodeAcceptsTheLargestInputsInsideTheProductBound() throws {
        let limit = try Self.demoUniformLimit()
        let value = limit * 0.999
        let row = (0..<256).map { $0.isMultiple(of: 2) ? value : -value }
        let encoded = try Self.pipeline().encode([row])
        #expect(encoded.rows == 1)
        #expect(encoded.columns == 256)
        #expect(encoded.elements == row.map { Self.fixed($0, bits: 22) })
    }

    @Test func encodeRefusesARowOfTheWrongWidth() throws {
        let error = try #require(Self.encodeError(try Self.pipeline(), [Fixtures.randomRow(seed: 1), Fixtures.randomRow(count: 255, seed: 2)]))
        #expect(error.code == "wrong_length")
        #expect(error.message.contains("row 1"))
        #expect(error.message.contains("255"))
    }

    @Test func recombinationOverThreeBackendsIsExact() async throws {
        let layer = try Fixtures.demoLayer()
        let limit = try Self.demoUniformLimit()
        var generator = SplitMix64(seed: 2024)
        let rows: [[Double]] = [
            Fixtures.randomRow(scale: 3, seed: 31),
            (0..<256).map { $0.isMultiple(of: 3) ? -limit * 0.999 : limit * 0.999 },  // near the headroom
            (0..<256).map { _ in Double.random(in: -1000...1000, using: &generator) },
            Array(repeating: 0, count: 256),
        ]
        // Exact reference: Σ W_enc · x_enc in 128-bit integers, decoded as the gateway decodes.
        let expected = rows.map { row in
            (0..<layer.outputs).map { o -> Double in
                var exact: Int128 = 0
                for j in 0..<layer.inputs {
                    exact += Int128(Self.fixed(layer.weight[o, j], bits: 26)) * Int128(Self.fixed(row[j], bits: 22))
                }
                return Double(Int64(exact)) / 0x1p48 + (layer.bias?[o] ?? 0)
            }
        }
        let outputs = try await withDemoDeployment(servers: 3, shares: 3) { servers, gateway in
            let pipeline = try #require(gateway.pipelines["demo"])
            #expect(pipeline.model.shares == 3)
            let outputs = try await pipeline.infer(rows, deadline: .now + .seconds(10))
            // Each of the three servers received exactly one share, padded from 4 rows to the bucket of 8.
            for server in servers.servers {
                let text = server.metrics.registry.emitToString()
                #expect(text.contains(#"eis_server_requests_total{model="demo",code="200",rows="8"} 1"#), "\(text)")
            }
            return outputs
        }
        #expect(outputs == expected)
    }
}
