@testable import EISGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `GET /status` and `GET /status.json` on the gateway's router, in front of in-process share servers.
@Suite(.serialized)
struct GatewayStatusRoutesTests {
    /// The parts of `/status.json` these tests read.
    struct Report: Decodable {
        struct Traffic: Decodable {
            var count: Int
            var per_second: Double
            var error_ratio: Double
            var p50_ms: Double?
            var p99_ms: Double?
        }
        struct Backend: Decodable {
            var name: String
            var url: String
            var trust_domain: String
            var state: String
            var calls: Traffic?
        }
        struct Batching: Decodable {
            var enabled: Bool
            var batches: Int
            var mean_rows: Double?
            var padding_share: Double?
            var padding_buckets: [Int]
        }
        struct Model: Decodable {
            var name: String
            var servable: Bool
            var shares: Int
            var trust_domains_up: Int
            var requests: Traffic?
            var batching: Batching
            var backends: [Backend]
        }
        var version: String
        var status: String
        var models: [Model]
    }

    @Test func statusJSONReportsBackendsTrafficAndBatchesButNoInputOrOutput() async throws {
        try await withDemoDeployment(configure: { $0.batching.enabled = true }) { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                // A recognisable input: neither it nor its answer may appear in the report.
                let input = Array(repeating: 0.4321987, count: 256)
                let answer = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(input))}"#)
                #expect(answer.status == .ok)
                let response = try await GatewayRoutesTests.get(client, "/status.json")
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                let text = String(buffer: response.body)
                #expect(!text.contains("0.4321987"))
                let output = try GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, answer).output ?? []
                #expect(!output.map { "\($0)" }.contains { $0.count >= 8 && text.contains($0) })
                let report = try JSONDecoder().decode(Report.self, from: Data(text.utf8))
                #expect(report.status == "ok")
                #expect(report.version == GatewayVersion.current)
                let model = try #require(report.models.first)
                #expect(model.name == "demo" && model.servable && model.shares == 2 && model.trust_domains_up == 2)
                #expect(model.requests?.count == 1)
                #expect(model.requests?.error_ratio == 0)
                #expect((model.requests?.p50_ms ?? 0) > 0)
                #expect(model.backends.map(\.state) == ["verified", "verified"])
                #expect(Set(model.backends.map(\.trust_domain)).count == 2)
                #expect(model.backends.allSatisfy { ($0.calls?.count ?? 0) >= 1 && $0.calls?.error_ratio == 0 })
                #expect(model.batching.enabled && model.batching.batches == 1 && model.batching.mean_rows == 1)
                // One real row padded to the smallest bucket.
                let bucket = Double(model.batching.padding_buckets[0])
                #expect(model.batching.padding_share == (bucket - 1) / bucket)
            }
        }
    }

    @Test func aStoppedBackendShowsUnhealthyWithItsErrorRate() async throws {
        try await withDemoDeployment(servers: 3) { servers, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                await servers.stop(1)
                // Enough traffic that the stopped one is tried, then the health checks' verdict.
                for _ in 0..<6 { _ = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(Array(repeating: 0.5, count: 256)))}"#) }
                let pipeline = try #require(gateway.pipelines["demo"])
                for _ in 0..<gateway.configuration.health.unhealthyThreshold {
                    await pipeline.backends.runHealthCheck(1, against: pipeline.model, timeout: .seconds(1), logger: Fixtures.logger)
                }
                let report = try GatewayRoutesTests.decode(Report.self, try await GatewayRoutesTests.get(client, "/status.json"))
                let backend = try #require(report.models.first?.backends[1])
                #expect(backend.state == "unhealthy")
                #expect(report.models.first?.backends[0].state == "verified")
                #expect((backend.calls?.error_ratio ?? 0) > 0)
            }
        }
    }

    @Test func theStatusPageIsOneSelfContainedDocumentUnderAStrictPolicy() async throws {
        try await withDemoDeployment { _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let response = try await GatewayRoutesTests.get(client, "/status")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.hasPrefix("default-src 'none'; connect-src 'self'; script-src 'sha256-"))
                let html = String(buffer: response.body)
                // Nothing fetched from elsewhere: no URLs, no external script, style or font.
                for forbidden in ["http:", "https:", "//cdn", "<script src", "<link", "@import", "@font-face", "url("] {
                    #expect(!html.contains(forbidden), "\(forbidden)")
                }
                #expect(policy.contains(StatusPage.hashSource(StatusPage.script)))
                #expect(html.contains("<script>" + StatusPage.script + "</script>"))
            }
        }
    }

    @Test func theStatusDataNeedsTheInboundTokenAndPassesTheBrowserGuard() async throws {
        let token = "status-token-\(UUID().uuidString)"
        try await withShareServers([ShareServerSpec(), ShareServerSpec()]) { servers in
            var configuration = Fixtures.gatewayConfiguration(backendURLs: servers.urls)
            configuration.authTokenEnv = "EIS_TEST_TOKEN"
            try await withGateway(configuration, environment: ["EIS_TEST_TOKEN": token]) { gateway in
                try await GatewayRoutesTests.withClient(gateway) { client in
                    #expect(try await GatewayRoutesTests.get(client, "/status").status == .ok)
                    #expect(try await GatewayRoutesTests.get(client, "/status.json").status == .unauthorized)
                    let authorized = try await client.executeRequest(
                        uri: "/status.json", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
                    #expect(authorized.status == .ok)
                    #expect(!String(buffer: authorized.body).contains(token))
                    // A page of another origin reads neither (a rebinding page's Host: GatewayBrowserRequestTests).
                    for path in ["/status", "/status.json"] {
                        let foreign = try await client.executeRequest(
                            uri: path, method: .get, headers: [.authorization: "Bearer \(token)", .origin: "http://evil.example"], body: nil)
                        #expect(foreign.status == .forbidden, "\(path)")
                    }
                }
            }
        }
    }
}
