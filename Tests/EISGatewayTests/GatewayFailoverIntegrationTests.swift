import CurlTransport
import EISGateway
import Foundation
import Synchronization
import Testing

/// The pool with real processes: three `eis-server`s (each its own trust domain), k = 2.
@Suite(.serialized)
struct GatewayFailoverIntegrationTests {
    private static let body = Array(("{\"input\":[" + Array(repeating: "0.125", count: 256).joined(separator: ",") + "]}").utf8)

    /// Runs `body` with three servers and a gateway with fast health checks; stops all after.
    private func withThreeBackends(
        _ body: (_ url: String, _ client: CurlHTTPClient, _ servers: inout [ChildProcess], _ paths: ProcessPaths) async throws -> Void
    ) async throws {
        try await withThreeBackends { url, client, servers, paths, _, _ in try await body(url, client, &servers, paths) }
    }

    /// The same, also handing over the gateway process and its configuration file.
    private func withThreeBackends(
        _ body: (_ url: String, _ client: CurlHTTPClient, _ servers: inout [ChildProcess], _ paths: ProcessPaths,
                 _ gateway: ChildProcess, _ configFile: String) async throws -> Void
    ) async throws {
        let paths = try ProcessPaths()
        var servers = [ChildProcess]()
        var gateway: ChildProcess?
        let client = CurlHTTPClient()
        // Stopped with awaits after the body, also when it throws: a `defer` could only block.
        func cleanUp() async {
            await gateway?.stop()
            for server in servers { await server.stop() }
            client.shutdown()
        }
        do {
            try await startAndRun()
        } catch {
            await cleanUp()
            throw error
        }
        await cleanUp()

        func startAndRun() async throws {
            for _ in 0..<3 {
                servers.append(try await ChildProcess.start(
                    executable: paths.server, arguments: ["--model", paths.model, "--listen", "127.0.0.1:0", "--log-level", "error"]))
            }
            let backends = servers.enumerated().map { index, server in
                "[[models.backends]]\nurl = \"http://127.0.0.1:\(server.port)\"\ntrust_domain = \"operator-\(index)\"\n"
            }.joined()
            let config = """
                [gateway]
                listen = "127.0.0.1:0"
                log_level = "error"
                backend_timeout_ms = 500
                [health]
                interval_ms = 200
                timeout_ms = 200
                [[models]]
                name = "demo"
                path = "\(paths.model)"
                \(backends)
                """
            let configFile = try paths.temporaryFile(named: "three.conf", contents: config)
            let started = try await ChildProcess.start(executable: paths.gateway, arguments: ["--config", configFile])
            gateway = started
            try await body("http://127.0.0.1:\(started.port)", client, &servers, paths, started, configFile)
        }
    }

    /// Outcomes counted by concurrent load workers.
    private final class Tally: Sendable {
        // Guarded by the Mutex.
        let state = Mutex((ok: 0, failed: [Int]()))
    }

    private static func infer(_ client: CurlHTTPClient, _ url: String) async throws -> HTTPClientResponse {
        try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", body: Self.body), timeout: .seconds(10))
    }

    @Test func killingOneOfThreeBackendsUnderLoadFailsNoRequest() async throws {
        try await withThreeBackends { url, client, servers, _ in
            let outcomes = Tally()
            let end = ContinuousClock.now + .seconds(3)
            let victim = servers[1]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while ContinuousClock.now < end {
                            let status = (try? await Self.infer(client, url))?.status ?? -1
                            outcomes.state.withLock { if status == 200 { $0.ok += 1 } else { $0.failed.append(status) } }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(1))
                    await victim.kill()
                }
                try await group.waitForAll()
            }
            let (ok, failed) = outcomes.state.withLock { ($0.ok, $0.failed) }
            #expect(ok > 50)
            #expect(failed.isEmpty, "\(failed.count) requests failed after kill -9 of one backend: \(failed.prefix(5))")
        }
    }

    @Test func withOneBackendLeftRequestsGet503AtOnceAndServiceReturnsWhenBackendsAreBack() async throws {
        try await withThreeBackends { url, client, servers, paths in
            #expect(try await Self.infer(client, url).status == 200)
            let ports = [servers[0].port, servers[1].port]
            await servers[0].kill()
            await servers[1].kill()
            // Let the health checks notice (two failed checks at 200 ms).
            try await Task.sleep(for: .milliseconds(700))
            for _ in 0..<5 {
                let started = ContinuousClock.now
                let response = try await Self.infer(client, url)
                let elapsed = ContinuousClock.now - started
                #expect(response.status == 503)
                #expect(response.header("retry-after") != nil)
                #expect(elapsed < .milliseconds(100), "503 took \(elapsed)")
            }
            for port in ports {
                servers.append(try await ChildProcess.start(
                    executable: paths.server, arguments: ["--model", paths.model, "--listen", "127.0.0.1:\(port)", "--log-level", "error"]))
            }
            // Two health intervals (2 × 200 ms) and a margin for the check itself.
            try await Task.sleep(for: .milliseconds(600))
            #expect(try await Self.infer(client, url).status == 200)
        }
    }

    @Test func sighupWithAValidAndAnInvalidConfigUnderLoadFailsNoRequest() async throws {
        try await withThreeBackends { url, client, servers, paths, gateway, configFile in
            let original = try String(contentsOfFile: configFile, encoding: .utf8)
            let outcomes = Tally()
            let end = ContinuousClock.now + .seconds(3)
            // Valid: drop the first backend (two remain, in two trust domains).
            let valid = original.replacingOccurrences(of: "[[models.backends]]\nurl = \"http://127.0.0.1:\(servers[0].port)\"\ntrust_domain = \"operator-0\"\n", with: "")
            #expect(valid != original)
            let invalid = original + "\n[gateway_typo]\nx = 1\n"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while ContinuousClock.now < end {
                            let status = (try? await Self.infer(client, url))?.status ?? -1
                            outcomes.state.withLock { if status == 200 { $0.ok += 1 } else { $0.failed.append(status) } }
                        }
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(700))
                    try valid.write(toFile: configFile, atomically: true, encoding: .utf8)
                    gateway.signal(SIGHUP)
                    try await Task.sleep(for: .milliseconds(900))
                    try invalid.write(toFile: configFile, atomically: true, encoding: .utf8)
                    gateway.signal(SIGHUP)
                }
                try await group.waitForAll()
            }
            let (ok, failed) = outcomes.state.withLock { ($0.ok, $0.failed) }
            #expect(ok > 50)
            #expect(failed.isEmpty, "\(failed.count) requests failed across the reloads: \(failed.prefix(5))")
            let health = try await client.execute(HTTPClientRequest(method: .get, url: url + "/healthz"), timeout: .seconds(5))
            let text = String(decoding: health.body, as: UTF8.self)
            #expect(!text.contains("127.0.0.1:\(servers[0].port)\""), "the valid reload dropped the first backend")
            let metrics = String(decoding: try await client.execute(
                HTTPClientRequest(method: .get, url: url + "/metrics"), timeout: .seconds(5)).body, as: UTF8.self)
            #expect(metrics.contains(#"eis_config_reloads_total{result="success"} 1"#))
            #expect(metrics.contains(#"eis_config_reloads_total{result="failure"} 1"#))
        }
    }

    @Test func aBackendThatAcceptsButNeverAnswersIsFailedOverWithinTheDeadlineAndTakenOut() async throws {
        try await withThreeBackends { url, client, servers, _ in
            servers[2].signal(SIGSTOP)  // the kernel still accepts its connections; nothing answers
            defer { servers[2].signal(SIGCONT) }
            for _ in 0..<12 {
                let started = ContinuousClock.now
                let response = try await Self.infer(client, url)
                #expect(response.status == 200)
                #expect(ContinuousClock.now - started < .seconds(5), "answered within the request deadline")
            }
            let health = try await client.execute(HTTPClientRequest(method: .get, url: url + "/healthz"), timeout: .seconds(5))
            let report = String(decoding: health.body, as: UTF8.self)
            #expect(report.contains("\"status\":\"ejected\"") || report.contains("\"status\":\"unhealthy\""), "\(report)")
        }
    }
}
