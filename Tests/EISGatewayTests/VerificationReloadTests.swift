import CurlTransport
@testable import EISCore
@testable import EISGateway
import Foundation
import Testing
import eis_gateway

/// The secret Freivalds vectors are drawn anew whenever the gateway loads its configuration, so
/// what a backend may have learnt about one set (from which of its lies were caught) says nothing
/// about the next (docs/VERIFICATION.md).
struct VerificationReloadTests {
    @Test func aReloadDrawsNewSecretCheckVectors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eis-verify-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Nothing listens on these ports: verification at load fails fast and changes nothing here.
        let path = directory.appendingPathComponent("gateway.conf").path
        try """
            [gateway]
            listen = "127.0.0.1:0"
            [[models]]
            name = "demo"
            path = "\(Fixtures.demoModelPath)"
            layer = "fc"
            verify = "freivalds"
            [[models.backends]]
            url = "http://127.0.0.1:9"
            trust_domain = "a"
            [[models.backends]]
            url = "http://127.0.0.1:10"
            trust_domain = "b"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try GatewayConfiguration(contentsOfFile: path)
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let first = try Gateway(configuration: configuration, registry: .standard, client: client, logger: Fixtures.logger)
        let runtime = GatewayRuntime(gateway: first, launched: configuration, configurationPath: path,
                                     registry: .standard, client: client, logger: Fixtures.logger)

        var drawn = [try #require(first.pipelines["demo"]?.model.checks["fc"]).vectors.matrix]
        for _ in 0..<2 {
            #expect(await runtime.reload(verifyTimeout: .milliseconds(200)))
            let check = try #require(runtime.current.pipelines["demo"]?.model.checks["fc"])
            #expect(check.count == FreivaldsCheck.defaultVectors)
            drawn.append(check.vectors.matrix)
        }
        #expect(runtime.current !== first, "the reload installed a new gateway")
        // 40 × 10 words from the CSPRNG: equal draws would mean the vectors were reused.
        #expect(Set(drawn.map(\.elements)).count == 3)
    }
}
