import Hummingbird
import Foundation
import Testing
@testable import EISGateway

/// Requests a web page on the same machine could send (issue 12, item 6), sent over a real
/// socket with forged headers: a rebinding page's Host, a browser's Origin, and the content
/// types a page can post without a CORS preflight.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GatewayBrowserRequestTests {
    /// `request` for `path` with the given extra header lines, and `Connection: close`.
    static func request(_ path: String, method: String = "GET", headers: [String], body: String = "") -> String {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for header in headers { text += header + "\r\n" }
        if method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "Connection: close\r\n\r\n" + body
    }

    static func status(_ response: String) -> Int? {
        let parts = response.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    static func withLiveGateway(_ configure: @escaping @Sendable (inout GatewayConfiguration) -> Void = { _ in },
                                _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withDemoDeployment(configure: configure) { _, gateway in
            try await withRunningApplication({ gateway.makeApplication(onListening: $0) }) { port in try await body(port) }
        }
    }

    static let row = "{\"input\":[\(Array(repeating: "0.5", count: 256).joined(separator: ","))]}"

    @Test func aRebindingPagesHostIsRefusedOnEveryRoute() async throws {
        try await Self.withLiveGateway { port in
            for path in ["/healthz", "/metrics", "/v2/health/ready", "/v2/models/demo", "/status", "/status.json", "/v1/models"] {
                let response = await RawClient.exchange(port: port, request: Self.request(path, headers: ["Host: attacker.example:\(port)"]))
                #expect(Self.status(response) == 403, "\(path): \(response.prefix(80))")
                #expect(response.contains("host_not_allowed"), "\(path)")
            }
            for path in ["/infer", "/v1/embeddings", "/embed"] {
                let post = await RawClient.exchange(port: port, request: Self.request(path, method: "POST", headers: ["Host: attacker.example", "Content-Type: application/json"], body: Self.row))
                #expect(Self.status(post) == 403, "\(path): \(post.prefix(80))")
            }
            // A page's simple request (no preflight) cannot reach the embedding routes either.
            for path in ["/v1/embeddings", "/embed"] {
                let simple = await RawClient.exchange(port: port, request: Self.request(path, method: "POST", headers: ["Host: 127.0.0.1", "Content-Type: text/plain"], body: "{\"input\":\"a\"}"))
                #expect(Self.status(simple) == 415, "\(path): \(simple.prefix(80))")
            }
            for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST", "[::1]:\(port)"] {
                let response = await RawClient.exchange(port: port, request: Self.request("/healthz", headers: ["Host: \(host)"]))
                #expect(Self.status(response) == 200, "\(host): \(response.prefix(80))")
            }
        }
    }

    @Test func configuredHostNamesAreServed() async throws {
        try await Self.withLiveGateway({ $0.allowedHosts = ["gateway.internal"] }) { port in
            let allowed = await RawClient.exchange(port: port, request: Self.request("/healthz", headers: ["Host: gateway.internal:\(port)"]))
            #expect(Self.status(allowed) == 200)
            let other = await RawClient.exchange(port: port, request: Self.request("/healthz", headers: ["Host: other.internal"]))
            #expect(Self.status(other) == 403)
        }
    }

    @Test func aBrowsersOriginIsRefusedUnlessConfigured() async throws {
        try await Self.withLiveGateway({ $0.allowedOrigins = ["http://app.local:3000"] }) { port in
            let forged = await RawClient.exchange(port: port, request: Self.request("/infer", method: "POST", headers: ["Host: 127.0.0.1", "Origin: https://attacker.example", "Content-Type: application/json"], body: Self.row))
            #expect(Self.status(forged) == 403)
            #expect(forged.contains("origin_not_allowed"))
            let metrics = await RawClient.exchange(port: port, request: Self.request("/metrics", headers: ["Host: 127.0.0.1", "Origin: null"]))
            #expect(Self.status(metrics) == 403)
            let allowed = await RawClient.exchange(port: port, request: Self.request("/infer", method: "POST", headers: ["Host: 127.0.0.1", "Origin: http://app.local:3000", "Content-Type: application/json"], body: Self.row))
            #expect(Self.status(allowed) == 200, "\(allowed.prefix(120))")
        }
    }

    @Test func inferTakesOnlyJSONOrRawFloat32() async throws {
        try await Self.withLiveGateway { port in
            // The types a page can post without a preflight, and none at all.
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil, "application/jsonp"] {
                let headers = ["Host: 127.0.0.1"] + (type.map { ["Content-Type: \($0)"] } ?? [])
                let response = await RawClient.exchange(port: port, request: Self.request("/infer", method: "POST", headers: headers, body: Self.row))
                #expect(Self.status(response) == 415, "\(type ?? "none"): \(response.prefix(80))")
                #expect(response.contains("unsupported_media_type"))
            }
            let json = await RawClient.exchange(port: port, request: Self.request("/infer", method: "POST", headers: ["Host: 127.0.0.1", "Content-Type: application/json; charset=utf-8"], body: Self.row))
            #expect(Self.status(json) == 200)
        }
    }

    @Test func hostParsingHandlesPortsBracketsAndWildcardListeners() {
        var configuration = GatewayConfiguration()
        #expect(GatewayConfiguration.host(of: "[::1]:8080") == "::1")
        #expect(GatewayConfiguration.host(of: "Example.COM.:80") == "example.com")
        #expect(configuration.allowsHost("127.0.0.1:1"))
        #expect(!configuration.allowsHost("127.0.0.1.attacker.example"))
        #expect(!configuration.allowsHost("10.0.0.5"))
        configuration.listenHost = "0.0.0.0"
        #expect(configuration.allowsHost("10.0.0.5:8080"))
        #expect(!configuration.allowsHost("rebind.attacker.example"))
    }
}
