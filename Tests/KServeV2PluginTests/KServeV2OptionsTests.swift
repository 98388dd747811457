import EISBackend
import CurlTransport
import EISCore
@testable import KServeV2Plugin
import Testing

struct KServeV2OptionsTests {
    @Test func defaultsAndValues() throws {
        let defaults = try KServeV2Options(BackendOptions())
        #expect(defaults.binaryData && defaults.version == nil && defaults.inputName == nil && defaults.outputName == nil)
        let set = try KServeV2Options(BackendOptions([
            "binary_data": .bool(false), "version": .string("3"), "input_name": .string("x"), "output_name": .string("y"),
        ]))
        #expect(!set.binaryData && set.version == "3" && set.inputName == "x" && set.outputName == "y")
    }

    @Test func wrongTypesAndEmptyStringsAreRefused() {
        #expect(throws: BackendError.self) { try KServeV2Options(BackendOptions(["binary_data": .string("yes")])) }
        #expect(throws: BackendError.self) { try KServeV2Options(BackendOptions(["version": .int(3)])) }
        #expect(throws: BackendError.self) { try KServeV2Options(BackendOptions(["input_name": .string("")])) }
    }

    @Test func theRegistryKnowsTheKindAndItsKeys() throws {
        var registry = BackendRegistry()
        registry.register(KServeV2Backend.Factory())
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let endpoint = BackendEndpoint(name: "b", kind: "kserve-v2", url: "http://127.0.0.1:1", trustDomain: "t", remoteModel: "m",
                                       options: BackendOptions(["binary_data": .bool(true), "versoin": .string("1")]))
        #expect(throws: BackendError.self) { try registry.makeBackend(endpoint: endpoint, transport: client) }
        var good = endpoint
        good.options = BackendOptions(["version": .string("1")])
        let backend = try registry.makeBackend(endpoint: good, transport: client)
        #expect(backend.capabilities.arithmetics == [.ring64, .float32, .float64])
    }

    @Test func pathsKeepNamesInOneSegment() {
        #expect(KServeV2Paths(model: "demo-int64", version: nil).infer == "/v2/models/demo-int64/infer")
        #expect(KServeV2Paths(model: "a/b?c%d é", version: "1").ready == "/v2/models/a%2Fb%3Fc%25d%20%C3%A9/versions/1/ready")
        #expect(KServeV2Paths.serverReady == "/v2/health/ready")
    }
}
