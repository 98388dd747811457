import EISBackend
import EISCore
@testable import EISGateway
import Testing

/// A backend that says itself that its model cannot be the layer is refused like one whose
/// description differs, with its message and its name said once.
struct ModelBackendsRefusalTests {
    /// Answers every description with a mismatch, as the kserve-v2 plugin does for an INT32 input.
    struct MismatchedBackend: Backend {
        let endpoint = BackendEndpoint(name: "odd", kind: "test", url: "http://127.0.0.1:1", trustDomain: "d", remoteModel: "demo")
        let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 1)
        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}
        func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
            throw .mismatch("odd: input 'x' has datatype INT32; expected INT64")
        }
        func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
            throw .unsupported("never called")
        }
    }

    private func model() throws -> GatewayModel {
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        return try GatewayModel(configuration: configuration)
    }

    @Test func verificationRefusesWithThePluginsMessage() async throws {
        let backends = ModelBackends(members: [MismatchedBackend()], logger: Fixtures.logger)
        let error = await #expect(throws: BackendError.self) {
            try await backends.ensureVerified(0, against: try model(), deadline: .now + .seconds(5), logger: Fixtures.logger)
        }
        #expect(error?.isMismatch == true)
        #expect(backends.snapshot == [.refused(reason: "backend 'odd' (http://127.0.0.1:1) differs from demo: input 'x' has datatype INT32; expected INT64")])
    }

    @Test func aHealthCheckRefusesToo() async throws {
        let backends = ModelBackends(members: [MismatchedBackend()], logger: Fixtures.logger)
        #expect(await !backends.runHealthCheck(0, against: try model(), timeout: .seconds(5), logger: Fixtures.logger))
        guard case .refused(let reason) = backends.snapshot[0] else { Issue.record("not refused"); return }
        #expect(reason.hasSuffix("differs from demo: input 'x' has datatype INT32; expected INT64"))
    }

    /// Serves two layers; the second with weights other than the gateway's.
    struct SecondLayerDiffers: Backend {
        let endpoint = BackendEndpoint(name: "two", kind: "test", url: "http://127.0.0.1:1", trustDomain: "d", remoteModel: "mlp")
        let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 1, servesLayersByName: true)
        let model: GatewayModel
        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}
        func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
            layers.map { name in
                let layer = model.layers.first { $0.name == name }!
                return RemoteLayer(inputs: layer.inputs, outputs: layer.outputs, weightFractionBits: layer.weights.fractionBits,
                                   digest: name == "fc2" ? String(repeating: "0", count: 64) : layer.weights.digest)
            }
        }
        func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
            throw .unsupported("never called")
        }
    }

    @Test func everyLayerIsVerifiedAndADifferenceNamesItsLayer() async throws {
        let fc1 = LinearLayer(name: "fc1", weight: Matrix(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 6]), bias: nil)
        let fc2 = LinearLayer(name: "fc2", weight: Matrix(rows: 1, columns: 3, elements: [0.5, -0.5, 0.25]), bias: [1])
        let model = GatewayModel(name: "mlp", layers: [try SharedLayer(fc1, inputFractionBits: 16, weightFractionBits: 16),
                                                      try SharedLayer(fc2, inputFractionBits: 16, weightFractionBits: 16)], shares: 2)
        let backends = ModelBackends(members: [SecondLayerDiffers(model: model)], logger: Fixtures.logger)
        let error = await #expect(throws: BackendError.self) {
            try await backends.ensureVerified(0, against: model, deadline: .now + .seconds(5), logger: Fixtures.logger)
        }
        #expect(error?.isMismatch == true)
        guard case .refused(let reason) = backends.snapshot[0] else { Issue.record("not refused"); return }
        #expect(reason.contains("layer 'fc2': weights sha256 0000000000000000…"))
        #expect(!reason.contains("layer 'fc1'"))
    }
}
