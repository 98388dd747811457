import CurlTransport
import EISBackend
import EISCore
@testable import EISGateway
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import eis_gateway

/// Secure channels in the configuration: plaintext rules, TLS keys, secrets from the
/// environment, and the inbound bearer token.
@Suite struct GatewayChannelSecurityTests {
    static func problems(backendURL: String, extra: String = "") -> [String] {
        let toml = """
            [[models]]
            name = "demo"
            path = "models/demo.safetensors"
              [[models.backends]]
              url = "\(backendURL)"
              trust_domain = "a"
              \(extra)
              [[models.backends]]
              url = "https://b.example:1"
              trust_domain = "b"
            """
        do throws(ConfigurationError) {
            _ = try GatewayConfiguration(toml: toml, baseDirectory: "/etc/eis")
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: ["http://127.0.0.1:9101", "http://127.5.6.7:1/x", "http://localhost:80", "http://[::1]:9101", "https://10.0.0.5:9101"])
    func loopbackPlaintextAndAnyHTTPSAreAccepted(url: String) {
        #expect(Self.problems(backendURL: url) == [])
    }

    @Test(arguments: ["http://10.0.0.5:9101", "http://inference.example.com", "http://127.0.0.1.evil.example:80", "http://user@10.0.0.1:1"])
    func plaintextToAnotherHostIsRefusedUnlessAllowed(url: String) {
        #expect(Self.problems(backendURL: url).contains { $0.hasPrefix("models[0].backends[0].url") && $0.contains("allow_plaintext = true") })
        #expect(Self.problems(backendURL: url, extra: "allow_plaintext = true") == [])
    }

    @Test func tlsKeysAreCheckedTogether() {
        let pin = "sha256//" + String(repeating: "A", count: 43) + "="
        #expect(Self.problems(backendURL: "https://a:1", extra: "client_cert = \"c.pem\"").contains { $0.contains("client_cert and client_key go together") })
        #expect(Self.problems(backendURL: "https://a:1", extra: "pin_sha256 = \"abc\"").contains { $0.contains("pin_sha256: expected") })
        #expect(Self.problems(backendURL: "https://a:1", extra: "pin_sha256 = \"\(pin);\(pin)\"") == [])
        #expect(Self.problems(backendURL: "http://127.0.0.1:1", extra: "ca_file = \"ca.pem\"").contains { $0.contains("need an https:// url") })
        #expect(Self.problems(backendURL: "https://a:1", extra: "auth_env = \"MY TOKEN\"").contains { $0.contains("not an environment variable name") })
    }

    @Test func tlsPathsAreResolvedAgainstTheConfigDirectory() throws {
        let configuration = try GatewayConfiguration(toml: """
            [[models]]
            name = "demo"
            path = "m.safetensors"
              [[models.backends]]
              url = "https://a:1"
              trust_domain = "a"
              ca_file = "certs/ca.pem"
              client_cert = "/abs/client.pem"
              client_key = "certs/client-key.pem"
              [[models.backends]]
              url = "https://b:1"
              trust_domain = "b"
            """, baseDirectory: "/etc/eis")
        let backend = configuration.models[0].backends[0]
        #expect(backend.caFile == "/etc/eis/certs/ca.pem")
        #expect(backend.clientCertificate == "/abs/client.pem")
        #expect(backend.clientKey == "/etc/eis/certs/client-key.pem")
    }

    /// Two backends on local ports (nothing needs to listen: these tests never send a share).
    static func configuration(authEnv: String? = nil, tokenEnv: String? = nil) -> GatewayConfiguration {
        var configuration = Fixtures.gatewayConfiguration(backendURLs: ["http://127.0.0.1:1", "http://127.0.0.1:2"])
        configuration.models[0].backends[0].authEnv = authEnv
        configuration.models[0].backends[0].authHeader = "X-Api-Key"
        configuration.authTokenEnv = tokenEnv
        return configuration
    }

    @Test func aBackendSecretComesFromTheEnvironmentAndIsSentButNeverPrinted() throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let secret = "s3cr3t-value-\(UUID().uuidString)"
        #expect {
            _ = try Gateway(configuration: Self.configuration(authEnv: "EIS_TEST_KEY"), registry: .standard, client: client,
                            logger: Fixtures.logger, environment: [:])
        } throws: { "\($0)".contains("auth_env names EIS_TEST_KEY, which is not set") }
        let gateway = try Gateway(configuration: Self.configuration(authEnv: "EIS_TEST_KEY"), registry: .standard, client: client,
                                  logger: Fixtures.logger, environment: ["EIS_TEST_KEY": secret])
        let endpoint = try #require(gateway.pipelines["demo"]).backends.members[0].endpoint
        let request = endpoint.request(.get, path: "/healthz")
        #expect(request.headers.contains { $0.name == "X-Api-Key" && $0.value == secret })
        #expect(!"\(endpoint)".contains(secret))
        #expect(try #require(gateway.pipelines["demo"]).backends.members[1].endpoint.headers.isEmpty)
    }

    @Test func anUnreadableCertificateFileStopsTheGatewayAtStartUpNamingTheFile() throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var configuration = Fixtures.gatewayConfiguration(backendURLs: ["https://127.0.0.1:1", "https://127.0.0.1:2"])
        configuration.models[0].backends[1].caFile = "/nonexistent/ca.pem"
        configuration.models[0].backends[1].clientCertificate = "/nonexistent/client.pem"
        configuration.models[0].backends[1].clientKey = Fixtures.demoModelPath  // readable: not reported
        #expect {
            _ = try Gateway(configuration: configuration, registry: .standard, client: client, logger: Fixtures.logger)
        } throws: { error in
            let problems = (error as? ConfigurationError)?.problems ?? []
            return problems == ["backend 'backend-1': ca_file /nonexistent/ca.pem is not a readable file",
                                "backend 'backend-1': client_cert /nonexistent/client.pem is not a readable file"]
        }
    }

    @Test(arguments: [("0.0.0.0", true), ("10.1.2.3", true), ("::", true), ("127.0.0.1", false), ("localhost", false), ("::1", false)])
    func listeningOffLoopbackIsWarnedAbout(host: String, warned: Bool) throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let log = RecordingLogHandler.Store()
        var configuration = Self.configuration()
        configuration.listenHost = host
        _ = try Gateway(configuration: configuration, registry: .standard, client: client, logger: RecordingLogHandler.logger(log), environment: [:])
        #expect(log.text.contains("listening on a non-loopback address") == warned, "\(log.text)")
    }

    @Test func aBackendAPIKeyReachesTheBackendOnTheWireAndNowhereElse() async throws {
        let secret = "key-\(UUID().uuidString)"
        let header = try #require(HTTPField.Name("X-Api-Key"))
        let backends = try (0..<2).map { _ in try ScriptedBackend(behaviour: .honest, requiredHeader: (name: header, value: secret)) }
        let log = RecordingLogHandler.Store()
        try await withScriptedBackends(backends) { urls in
            var configuration = Fixtures.gatewayConfiguration(backendURLs: urls)
            for index in 0..<2 {
                configuration.models[0].backends[index].authHeader = "X-Api-Key"
                configuration.models[0].backends[index].authEnv = "EIS_TEST_BACKEND_KEY"
            }
            try await withGateway(configuration, logger: RecordingLogHandler.logger(log, level: .trace),
                                  environment: ["EIS_TEST_BACKEND_KEY": secret]) { gateway in
                try await GatewayRoutesTests.withClient(gateway) { client in
                    for seed in 0..<3 { try await GatewayProbe.expectExactAnswer(client, gateway, Fixtures.randomRow(seed: UInt64(50 + seed))) }
                    let health = String(buffer: try await GatewayRoutesTests.get(client, "/healthz").body)
                    let metrics = try await GatewayProbe.metrics(client)
                    #expect(!health.contains(secret) && !metrics.contains(secret))
                }
            }
        }
        for backend in backends {
            // Verification, then shares: every request carried the key.
            #expect(backend.shareRequests >= 1)
            #expect(backend.receivedHeaderValues.count >= 2)
            #expect(backend.receivedHeaderValues.allSatisfy { $0 == secret })
        }
        #expect(!log.all.isEmpty)
        #expect(!log.text.contains(secret))
    }

    @Test func theInboundTokenGuardsEveryRouteButTheHealthProbes() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let token = "tok-\(UUID().uuidString)"
        #expect {
            _ = try Gateway(configuration: Self.configuration(tokenEnv: "EIS_TEST_TOKEN"), registry: .standard, client: client,
                            logger: Fixtures.logger, environment: ["EIS_TEST_TOKEN": "short"])
        } throws: { "\($0)".contains("at least 16 characters") }
        let gateway = try Gateway(configuration: Self.configuration(tokenEnv: "EIS_TEST_TOKEN"), registry: .standard, client: client,
                                  logger: Fixtures.logger, environment: ["EIS_TEST_TOKEN": token])
        let app = Application(router: gateway.makeRouter(), logger: Fixtures.logger)
        try await app.test(.router) { client in
            let body = ByteBuffer(string: "{\"input\":[1]}")
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Bearer \(token)x"], [.authorization: token]] {
                let response = try await client.executeRequest(uri: "/infer", method: .post, headers: headers, body: body)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(String(buffer: response.body).contains("\"code\":\"unauthorized\""))
                #expect(!String(buffer: response.body).contains(token))
            }
            let metrics = try await client.executeRequest(uri: "/metrics", method: .get, headers: [:], body: nil)
            #expect(metrics.status == .unauthorized)
            for probe in ["/healthz", "/v2/health/live", "/v2/health/ready"] {
                let health = try await client.executeRequest(uri: probe, method: .get, headers: [:], body: nil)
                #expect(health.status != .unauthorized, "\(probe)")
            }
            // The V2 routes are guarded too, and say so in the V2 error form tritonclient reads.
            for (path, method) in [("/v2", HTTPRequest.Method.get), ("/v2/models/demo", .get), ("/v2/models/demo/ready", .get),
                                   ("/v2/models/demo/infer", .post)] {
                let response = try await client.executeRequest(uri: path, method: method, headers: [:], body: body)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(String(buffer: response.body).hasPrefix("{\"error\":\"unauthorized: "), "\(path)")
            }
            // With the token the request reaches the gateway: a one-value row is the wrong length.
            let authorized = try await client.executeRequest(uri: "/infer", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: body)
            #expect(authorized.status == .badRequest)
            #expect(String(buffer: authorized.body).contains("wrong_length"))
        }
    }
}
