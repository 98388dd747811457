import CurlTransport
@testable import EISGateway
import EISLaunch
import EISServer
import EISTestSupport
import Foundation
import HummingbirdTesting
import Testing
import eis_gateway

/// TLS to backends end to end (issue 6, item 1): certificates made by openssl at test time,
/// share servers speaking HTTPS, and a gateway configured with the keys of gateway.conf.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct GatewayTLSIntegrationTests {
    /// A share server with the test CA's certificate for 127.0.0.1; with `mutual`, it requires a
    /// client certificate from that CA.
    static func goodServer(_ certificates: TestCertificates, mutual: Bool = false) -> ShareServerSpec {
        ShareServerSpec(tls: ShareServerTLS(certificatePath: certificates.serverCertificate, privateKeyPath: certificates.serverKey,
                                            clientCAPath: mutual ? certificates.caFile : nil))
    }

    /// `ca_file` (and for mutual TLS `client_cert`, `client_key`) as gateway.conf sets them.
    static func trust(_ backend: inout BackendConfiguration, _ certificates: TestCertificates, mutual: Bool = false) {
        backend.caFile = certificates.caFile
        if mutual {
            backend.clientCertificate = certificates.clientCertificate
            backend.clientKey = certificates.clientKey
        }
    }

    /// The demo configuration with a deadline long enough for TLS handshakes on a loaded
    /// 2-core machine (these tests are about channels, not timing).
    static func patientConfiguration(_ urls: [String]) -> GatewayConfiguration {
        var configuration = Fixtures.gatewayConfiguration(backendURLs: urls)
        configuration.requestTimeout = .seconds(20)
        configuration.backendTimeout = .seconds(20)
        return configuration
    }

    // MARK: Happy paths

    @Test func httpsWithAPrivateCAAndAPinGivesExactResults() async throws {
        let certificates = try await TestCertificates.shared()
        try await withShareServers([Self.goodServer(certificates), Self.goodServer(certificates)]) { servers in
            var configuration = Self.patientConfiguration(servers.urls)
            #expect(servers.urls.allSatisfy { $0.hasPrefix("https://127.0.0.1:") })
            for index in 0..<2 { Self.trust(&configuration.models[0].backends[index], certificates) }
            configuration.models[0].backends[1].pinSHA256 = certificates.serverPin
            #expect(configuration.validationProblems() == [])
            try await withGateway(configuration) { gateway in
                try await GatewayRoutesTests.withClient(gateway) { client in
                    #expect(try await GatewayProbe.health(client).models[0].backends.map(\.status) == ["verified", "verified"])
                    for seed in 0..<5 { try await GatewayProbe.expectExactAnswer(client, gateway, Fixtures.randomRow(seed: UInt64(seed))) }
                }
            }
        }
    }

    @Test func mutualTLSGivesExactResults() async throws {
        let certificates = try await TestCertificates.shared()
        try await withShareServers([Self.goodServer(certificates, mutual: true), Self.goodServer(certificates, mutual: true)]) { servers in
            var configuration = Self.patientConfiguration(servers.urls)
            for index in 0..<2 { Self.trust(&configuration.models[0].backends[index], certificates, mutual: true) }
            try await withGateway(configuration) { gateway in
                try await GatewayRoutesTests.withClient(gateway) { client in
                    #expect(try await GatewayProbe.health(client).models[0].backends.map(\.status) == ["verified", "verified"])
                    for seed in 10..<15 { try await GatewayProbe.expectExactAnswer(client, gateway, Fixtures.randomRow(seed: UInt64(seed))) }
                }
            }
        }
    }

    // MARK: Broken channels

    /// What is wrong with the third backend's channel.
    enum BrokenChannel: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Its certificate is signed by a CA the gateway does not trust.
        case serverFromAnotherCA
        /// Its certificate is fine, but its key is not the pinned one.
        case wrongPin
        /// Its certificate expired (valid 1–2 January 2020).
        case expiredCertificate
        /// It requires mutual TLS; the gateway sends no client certificate.
        case noClientCertificate

        var description: String { rawValue }

        func server(_ certificates: TestCertificates) -> ShareServerSpec {
            switch self {
            case .serverFromAnotherCA:
                ShareServerSpec(tls: ShareServerTLS(certificatePath: certificates.otherServerCertificate, privateKeyPath: certificates.otherServerKey))
            case .wrongPin: GatewayTLSIntegrationTests.goodServer(certificates)
            case .expiredCertificate:
                ShareServerSpec(tls: ShareServerTLS(certificatePath: certificates.expiredServerCertificate, privateKeyPath: certificates.expiredServerKey))
            case .noClientCertificate: GatewayTLSIntegrationTests.goodServer(certificates, mutual: true)
            }
        }

        func configure(_ backend: inout BackendConfiguration, _ certificates: TestCertificates) {
            GatewayTLSIntegrationTests.trust(&backend, certificates)
            if self == .wrongPin { backend.pinSHA256 = certificates.wrongPin }
        }

        /// Words `/healthz` and the log must show.
        var expectedWords: [String] {
            switch self {
            case .serverFromAnotherCA: ["tls_failure: backend-2: server certificate verification failed"]
            case .wrongPin: ["tls_failure: backend-2: server public key does not match the pinned key"]
            case .expiredCertificate: ["tls_failure: backend-2: server certificate verification failed", "certificate has expired"]
            case .noClientCertificate: ["tls_failure: backend-2: the server requires a client certificate; none was sent"]
            }
        }
    }

    @Test(arguments: BrokenChannel.allCases)
    func aBackendWithABrokenChannelIsMarkedDownWithItsTLSProblemNamedWhileASpareServes(_ broken: BrokenChannel) async throws {
        let certificates = try await TestCertificates.shared()
        let log = RecordingLogHandler.Store()
        let servers = [Self.goodServer(certificates), Self.goodServer(certificates), broken.server(certificates)]
        try await withShareServers(servers) { servers in
            var configuration = Self.patientConfiguration(servers.urls)
            for index in 0..<2 { Self.trust(&configuration.models[0].backends[index], certificates) }
            broken.configure(&configuration.models[0].backends[2], certificates)
            #expect(configuration.validationProblems() == [])
            let launched = configuration
            let logger = RecordingLogHandler.logger(log)
            try await withGateway(configuration, verify: false, logger: logger) { gateway in
                // Start-up verification gives up on it at the first TLS failure (no waiting out the
                // timeout): not verified, down, and /healthz says why.
                let started = ContinuousClock.now
                await gateway.verifyBackends(timeout: .seconds(20))
                #expect(ContinuousClock.now - started < .seconds(10), "a TLS failure is not retried until the timeout")
                try await GatewayRoutesTests.withClient(gateway) { client in
                    let atStart = try GatewayProbe.backend("backend-2", in: try await GatewayProbe.health(client))
                    #expect(atStart.status == "unverified")
                    for words in broken.expectedWords {
                        #expect(atStart.reason?.contains(words) == true, "\(atStart.reason ?? "no reason")")
                    }
                    #expect(GatewayProbe.value(of: #"eis_backend_up{backend="backend-2"}"#, in: try await GatewayProbe.metrics(client)) == 0)

                    // Shares placed on it fail over to a good spare: every answer is exact.
                    for seed in 20..<26 { try await GatewayProbe.expectExactAnswer(client, gateway, Fixtures.randomRow(seed: UInt64(seed))) }
                    var metrics = try await GatewayProbe.metrics(client)
                    let refusedCalls = GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-2",outcome="tls_failure"}"#, in: metrics) ?? 0
                    #expect(refusedCalls >= 1, "\(metrics)")
                    #expect((GatewayProbe.value(of: #"eis_failovers_total{model="demo",reason="tls_failure"}"#, in: metrics) ?? 0) >= 1)
                    #expect(GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-2",outcome="ok"}"#, in: metrics) == 0, "no call answered (the series exists at zero)")

                    // Two rounds of active health checks take it out of the pool, with the reason.
                    let spareClient = CurlHTTPClient()
                    defer { spareClient.shutdown() }
                    let runtime = GatewayRuntime(gateway: gateway, launched: launched, configurationPath: "/nonexistent/gateway.conf",
                                                 registry: .standard, client: spareClient, logger: logger)
                    let checker = HealthChecker(runtime: runtime, interval: .seconds(1), timeout: .seconds(5))
                    for _ in 0..<2 { await checker.checkAll() }
                    let health = try await GatewayProbe.health(client)
                    let checked = try GatewayProbe.backend("backend-2", in: health)
                    #expect(checked.status == "unhealthy")
                    #expect(checked.reason?.hasPrefix("failed its health checks: tls_failure: backend-2: ") == true, "\(checked.reason ?? "no reason")")
                    for words in broken.expectedWords {
                        #expect(checked.reason?.contains(words) == true, "\(checked.reason ?? "no reason")")
                    }
                    #expect(health.status == "ok", "the two good backends keep the model servable")
                    #expect(health.models[0].backends.prefix(2).map(\.status) == ["verified", "verified"])
                    if ProcessInfo.processInfo.environment["EIS_TEST_VERBOSE"] != nil {
                        print("[tls] \(broken): /healthz at start-up: \(atStart.status): \(atStart.reason ?? "")")
                        print("[tls] \(broken): /healthz after checks: \(checked.status): \(checked.reason ?? "")")
                    }

                    // Out of the pool: it gets no more calls, and answers stay exact.
                    for seed in 30..<34 { try await GatewayProbe.expectExactAnswer(client, gateway, Fixtures.randomRow(seed: UInt64(seed))) }
                    metrics = try await GatewayProbe.metrics(client)
                    #expect(GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-2",outcome="tls_failure"}"#, in: metrics) == refusedCalls)
                    #expect(GatewayProbe.value(of: #"eis_backend_up{backend="backend-2"}"#, in: metrics) == 0)
                }
            }
        }
        let lines = log.all
        let startUp = lines.first { $0.contains("backend not reachable at start-up") && $0.contains("backend=backend-2") }
        let unhealthy = lines.first { $0.contains("backend unhealthy") && $0.contains("backend=backend-2") }
        for words in broken.expectedWords {
            #expect(startUp?.contains(words) == true, "\(startUp ?? "no start-up line")")
            #expect(unhealthy?.contains(words) == true, "\(unhealthy ?? "no unhealthy line")")
        }
    }

    // MARK: Real processes

    @Test func realEISServerAndGatewayProcessesServeOverMutualTLS() async throws {
        let certificates = try await TestCertificates.shared()
        let paths = try ProcessPaths()
        let client = CurlHTTPClient()
        var processes = [ChildProcess]()
        do {
            for _ in 0..<2 {
                processes.append(try await ChildProcess.start(executable: paths.server, arguments: [
                    "--model", paths.model, "--listen", "127.0.0.1:0", "--log-level", "warning",
                    "--tls-cert", certificates.serverCertificate, "--tls-key", certificates.serverKey, "--client-ca", certificates.caFile,
                ]))
            }
            let backends = processes.enumerated().map { index, server in
                """
                [[models.backends]]
                url = "https://127.0.0.1:\(server.port)"
                trust_domain = "operator-\(index)"
                ca_file = "\(certificates.caFile)"
                client_cert = "\(certificates.clientCertificate)"
                client_key = "\(certificates.clientKey)"

                """
            }.joined()
            let config = "[gateway]\nlisten = \"127.0.0.1:0\"\nlog_level = \"warning\"\n\n[[models]]\nname = \"demo\"\npath = \"\(paths.model)\"\n\n" + backends
            let gateway = try await ChildProcess.start(
                executable: paths.gateway, arguments: ["--config", try paths.temporaryFile(named: "tls.conf", contents: config)])
            processes.append(gateway)
            let url = "http://127.0.0.1:\(gateway.port)"
            let x = Fixtures.randomRow(seed: 40)
            let response = try await client.execute(HTTPClientRequest(
                method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: Array(#"{"input":\#(GatewayRoutesTests.jsonArray(x))}"#.utf8)), timeout: .seconds(10))
            #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            let answer = try JSONDecoder().decode(GatewayRoutesTests.Answer.self, from: Data(response.body))
            GatewayRoutesTests.expectClose(answer.output ?? [], Fixtures.reference(try Fixtures.demoLayer(), x))
            let health = try await client.execute(HTTPClientRequest(url: url + "/healthz"), timeout: .seconds(10))
            let report = try JSONDecoder().decode(GatewayRoutesTests.Health.self, from: Data(health.body))
            #expect(report.models.first?.backends.map(\.status) == ["verified", "verified"])
        } catch {
            await Self.stop(processes, client)
            throw error
        }
        await Self.stop(processes, client)
    }

    /// Stops the gateway (started last) first, then the servers.
    private static func stop(_ processes: [ChildProcess], _ client: CurlHTTPClient) async {
        for process in processes.reversed() { await process.stop() }
        client.shutdown()
    }
}
