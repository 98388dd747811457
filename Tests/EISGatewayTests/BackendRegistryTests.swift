import CurlTransport
import EISBackend
import EISCore
import EISGateway
import Logging
import Testing
import eis_gateway

/// The plugin registry: every shipped kind is there, and a backend's options and arithmetic
/// are checked before the gateway serves anything.
@Suite struct BackendRegistryTests {
    static func endpoint(kind: String, options: [String: BackendOption] = [:]) -> BackendEndpoint {
        BackendEndpoint(name: "x", kind: kind, url: "http://127.0.0.1:1", trustDomain: "a", remoteModel: "demo",
                        options: BackendOptions(options))
    }

    @Test func theStandardRegistryHasEveryShippedKind() {
        #expect(Set(BackendRegistry.standard.kinds).isSuperset(of: ["eis", "matmul-json"]))
    }

    @Test func anUnknownOptionIsRefusedWithTheAllowedOnes() {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        #expect {
            _ = try BackendRegistry.standard.makeBackend(endpoint: Self.endpoint(kind: "matmul-json", options: ["dtpye": .string("float32")]), transport: client)
        } throws: { error in
            let message = "\(error)"
            return message.contains("unknown option dtpye") && message.contains("allowed: batch, dtype, health_path, path")
        }
        #expect {
            _ = try BackendRegistry.standard.makeBackend(endpoint: Self.endpoint(kind: "eis", options: ["batch": .bool(true)]), transport: client)
        } throws: { "\($0)".contains("allowed: none") }
    }

    @Test func anOptionOfTheWrongTypeOrValueIsRefused() {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        #expect {
            _ = try BackendRegistry.standard.makeBackend(endpoint: Self.endpoint(kind: "matmul-json", options: ["batch": .string("yes")]), transport: client)
        } throws: { "\($0)".contains("batch = \"yes\": expected true or false") }
        #expect {
            _ = try BackendRegistry.standard.makeBackend(endpoint: Self.endpoint(kind: "matmul-json", options: ["dtype": .string("ring64")]), transport: client)
        } throws: { "\($0)".contains("expected \"float32\" or \"float64\"") }
    }

    @Test func aBackendThatCannotComputeTheModelsArithmeticIsAConfigurationError() throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var configuration = GatewayConfiguration()
        var model = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        model.layer = "fc"
        var a = BackendConfiguration(name: "a", trustDomain: "a", url: "http://127.0.0.1:1")
        a.kind = "matmul-json"
        model.backends = [a, BackendConfiguration(name: "b", trustDomain: "b", url: "http://127.0.0.1:2")]
        configuration.models = [model]
        #expect {
            _ = try Gateway(configuration: configuration, registry: .standard, client: client, logger: Logger(label: "test"))
        } throws: { "\($0)".contains("kind 'matmul-json' computes in float32, not in the model's ring64") }
    }
}
