import EISBackend
import EISCore
@testable import EISGateway
import Testing

/// A backend that says itself that its model cannot be the layer is refused like one whose
/// description differs, with its message and its name said once.
struct ModelBackendsRefusalTests {
    /// Answers every describeLayer with a mismatch, as the kserve-v2 plugin does for an INT32 input.
    struct MismatchedBackend: Backend {
        let endpoint = BackendEndpoint(name: "odd", kind: "test", url: "http://127.0.0.1:1", trustDomain: "d", remoteModel: "demo", remoteLayer: "fc")
        let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 1)
        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}
        func describeLayer(deadline: ContinuousClock.Instant) async throws(BackendError) -> RemoteLayer {
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
}
