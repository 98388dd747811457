import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import EISGateway

/// Trust domains that are only labels (issue 12, item 7): one server under two trust domains
/// is refused unless the model says `allow_shared_endpoints = true`, and `/healthz` never shows
/// the credentials a backend URL may carry.
struct TrustDomainLabelTests {
    static func toml(_ urls: [String], domains: [String], model: String = "") -> String {
        var text = "[[models]]\nname = \"demo\"\npath = \"models/demo.safetensors\"\n\(model)\n"
        for (index, url) in urls.enumerated() {
            text += "[[models.backends]]\nname = \"b\(index)\"\nurl = \"\(url)\"\ntrust_domain = \"\(domains[index])\"\n"
        }
        return text
    }

    @Test(arguments: [
        ["https://a.example:9101", "https://A.example:9101/other"],
        ["http://127.0.0.1:9101", "http://localhost:9101"],
        ["https://a.example", "https://a.example:443"],
        ["https://[::1]:9101", "https://127.0.0.1:9101"],
    ])
    func oneServerUnderTwoTrustDomainsIsRefused(urls: [String]) {
        #expect {
            _ = try GatewayConfiguration(toml: Self.toml(urls + ["https://c.example:9101"], domains: ["x", "y", "z"]))
        } throws: { "\($0)".contains("models[0].backends[1].url: the same host and port") && "\($0)".contains("allow_shared_endpoints") }
    }

    @Test func theOptOutKeyAndReplicasInOneDomainAreAccepted() throws {
        let shared = try GatewayConfiguration(toml: Self.toml(["https://a.example:9101", "https://a.example:9101"], domains: ["x", "y"],
                                                               model: "allow_shared_endpoints = true"))
        #expect(shared.validationProblems().isEmpty, "\(shared.validationProblems())")
        let replicas = try GatewayConfiguration(toml: Self.toml(["https://a.example:9101", "https://a.example:9101", "https://b.example:9101"],
                                                                 domains: ["x", "x", "y"]))
        #expect(replicas.validationProblems().isEmpty, "\(replicas.validationProblems())")
        let ports = try GatewayConfiguration(toml: Self.toml(["https://a.example:9101", "https://a.example:9102"], domains: ["x", "y"]))
        #expect(ports.validationProblems().isEmpty)
    }

    @Test func healthzShowsNoUserInfoOrQueryString() async throws {
        try await withDemoDeployment(verify: false, configure: { configuration in
            for index in configuration.models[0].backends.indices {
                let url = configuration.models[0].backends[index].url ?? ""
                configuration.models[0].backends[index].url = url.replacingOccurrences(of: "http://", with: "http://operator:hunter2secret@") + "/?api_key=topsecret42"
            }
        }) { _, gateway in
            let app = Application(router: gateway.makeRouter(), logger: Fixtures.logger)
            try await app.test(.router) { client in
                let health = String(buffer: try await client.executeRequest(uri: "/healthz", method: .get, headers: [:], body: nil).body)
                #expect(health.contains("127.0.0.1"))
                for secret in ["hunter2secret", "operator", "api_key", "topsecret42"] { #expect(!health.contains(secret), "\(secret) in \(health)") }
            }
        }
        #expect(HealthReport.displayURL("https://u:p@h.example:8443/v2?k=v#f") == "https://h.example:8443/v2")
    }
}
