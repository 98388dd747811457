import EISBackend
import EISCore
@testable import EISGateway
import Foundation
import Testing
import EISLaunch

/// The `matmul-json` plugin against the technical note's API, served by a real FastAPI +
/// uvicorn app (Tests/Peers/matmul_peer.py), with float masking in the gateway.
@Suite(.serialized, .enabled(if: Peers.shouldRun(.mlserver), "run Tests/Peers/setup.sh to create .venv/mlserver"))
struct MatmulJSONBackendTests {
    /// A float model over the demo layer with one matmul-json backend per peer.
    static func configuration(
        ports: [Int], arithmetic: Arithmetic, range: Double, addsBias: [Bool], options: [String: BackendOption] = [:],
        modelPath: String = Fixtures.demoModelPath
    ) -> GatewayConfiguration {
        var configuration = Fixtures.gatewayConfiguration(backendURLs: ports.map { "http://127.0.0.1:\($0)" }, modelPath: modelPath)
        configuration.models[0].arithmetic = arithmetic
        configuration.models[0].allowFloatSharing = true
        configuration.models[0].floatMaskRange = range
        for index in configuration.models[0].backends.indices {
            configuration.models[0].backends[index].kind = "matmul-json"
            configuration.models[0].backends[index].addsBias = addsBias[index]
            configuration.models[0].backends[index].options = options
        }
        return configuration
    }

    /// The largest |y − (W·x + b)| over `rows` random inputs in [−1, 1], sent as one batch.
    static func maxError(_ gateway: Gateway, rows: Int, seed: UInt64) async throws -> Double {
        let layer = try Fixtures.demoLayer()
        let inputs = (0..<rows).map { Fixtures.randomRow(seed: seed &+ UInt64($0)) }
        let pipeline = try #require(gateway.pipelines["demo"])
        let outputs = try await pipeline.infer(inputs, deadline: .now + .seconds(20))
        var worst = 0.0
        for (x, y) in zip(inputs, outputs) {
            for (got, want) in zip(y, Fixtures.reference(layer, x)) { worst = max(worst, abs(got - want)) }
        }
        return worst
    }

    /// The documented worst-case error for the demo layer with inputs within ±1, in the model's float format.
    static func errorBound(_ gateway: Gateway) throws -> Double {
        let model = try #require(gateway.pipelines["demo"]).model
        return FloatMasking.reconstructionErrorBound(
            rowL1: model.layers[0].weights.maxRowL1 / Double(sign: .plus, exponent: model.layers[0].weights.fractionBits, significand: 1),
            inputs: model.inputs, grid: try #require(model.floatMaskGrid), maxInput: 1)
    }

    @Test func float32PeersOneRowPerCallMeetTheErrorBoundWithABackendThatAddsTheBias() async throws {
        try await Peers.with([("matmul_peer.py", .mlserver, []), ("matmul_peer.py", .mlserver, ["--add-bias"])]) { peers in
            let configuration = Self.configuration(ports: peers.map(\.port), arithmetic: .float32, range: 1000, addsBias: [false, true])
            try await withGateway(configuration) { gateway in
                #expect(gateway.healthReport().models[0].backends.map(\.status) == ["verified", "verified"])
                let worst = try await Self.maxError(gateway, rows: 5, seed: 100)
                let bound = try Self.errorBound(gateway)
                #expect(worst <= bound, "max error \(worst) above the bound \(bound)")
                // A float32 pool really is approximate, and a forgotten bias would be off by |b| ≈ 0.03.
                #expect(worst > 0 && worst < 0.01, "max error \(worst)")
            }
        }
    }

    @Test func float64PeersTakingBatchesAreFarMoreAccurate() async throws {
        let float64 = ["--dtype", "float64"]
        try await Peers.with([("matmul_peer.py", .mlserver, float64), ("matmul_peer.py", .mlserver, float64)]) { peers in
            let configuration = Self.configuration(
                ports: peers.map(\.port), arithmetic: .float64, range: 1000, addsBias: [false, false],
                options: ["dtype": .string("float64"), "batch": .bool(true)])
            try await withGateway(configuration) { gateway in
                let worst = try await Self.maxError(gateway, rows: 8, seed: 200)
                #expect(worst <= (try Self.errorBound(gateway)))
                #expect(worst < 1e-9, "max error \(worst)")
            }
        }
    }

    @Test func aServerWithOnlyTheNotesAPIIsCheckedByAProbe() async throws {
        let noteOnly = ["--no-info"]
        try await Fixtures.withTemporaryDirectory { directory in
            let narrow = try Fixtures.writeLinearModel(to: directory.appendingPathComponent("narrow.safetensors"), outputs: 10, inputs: 128, seed: 9)
            try await Peers.with([("matmul_peer.py", .mlserver, noteOnly), ("matmul_peer.py", .mlserver, noteOnly)]) { peers in
                let right = Self.configuration(ports: peers.map(\.port), arithmetic: .float32, range: 100, addsBias: [false, false])
                try await withGateway(right) { gateway in
                    #expect(gateway.healthReport().models[0].backends.map(\.status) == ["verified", "verified"])
                    let worst = try await Self.maxError(gateway, rows: 2, seed: 300)
                    #expect(worst < 1e-3)
                }
                let wrong = Self.configuration(ports: peers.map(\.port), arithmetic: .float32, range: 100, addsBias: [false, false], modelPath: narrow)
                try await withGateway(wrong) { gateway in
                    let backends = gateway.healthReport().models[0].backends
                    #expect(backends.map(\.status) == ["refused", "refused"])
                    #expect(backends[0].reason?.contains("rejects a 128-wide input") == true, "\(backends[0].reason ?? "")")
                }
            }
        }
    }

    @Test func aServerWithAnotherShapeOrBiasSettingIsRefusedWithTheDifference() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let narrow = try Fixtures.writeLinearModel(to: directory.appendingPathComponent("narrow.safetensors"), outputs: 10, inputs: 128, seed: 9)
            try await Peers.with([("matmul_peer.py", .mlserver, []), ("matmul_peer.py", .mlserver, ["--add-bias"])]) { peers in
                // The peers serve the 256-wide demo layer; this model is 128 wide.
                let wrongShape = Self.configuration(ports: peers.map(\.port), arithmetic: .float32, range: 100, addsBias: [false, true], modelPath: narrow)
                try await withGateway(wrongShape) { gateway in
                    let backends = gateway.healthReport().models[0].backends
                    #expect(backends.map(\.status) == ["refused", "refused"])
                    #expect(backends[0].reason?.contains("shape 256→10, expected 128→10") == true, "\(backends[0].reason ?? "")")
                }
                // The second peer adds the bias, but this configuration says it does not.
                let wrongBias = Self.configuration(ports: peers.map(\.port), arithmetic: .float32, range: 100, addsBias: [false, false])
                try await withGateway(wrongBias) { gateway in
                    let backends = gateway.healthReport().models[0].backends
                    #expect(backends[0].status == "verified")
                    #expect(backends[1].status == "refused")
                    #expect(backends[1].reason?.contains("adds_bias = true, the configuration says false") == true, "\(backends[1].reason ?? "")")
                    let pipeline = try #require(gateway.pipelines["demo"])
                    await #expect(throws: GatewayError.self) {
                        _ = try await pipeline.infer([Fixtures.randomRow(seed: 1)], deadline: .now + .seconds(5))
                    }
                }
            }
        }
    }
}
