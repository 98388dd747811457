import CurlTransport
import EISGateway
import EISLaunch
import EISTestSupport
import Foundation
import Synchronization

/// Real `eis-server` processes (trust domains `operator-0`, `operator-1`, …) and an
/// `eis-gateway` process in front of them, all on free loopback ports.
struct ProcessDeployment {
    /// The gateway's base URL.
    let url: String
    /// A client for the test's own requests.
    let client: CurlHTTPClient
    /// The share servers, in config order (tests may kill and restart them).
    var servers: [ChildProcess]
    /// The gateway process.
    let gateway: ChildProcess
    /// The gateway's configuration file (tests may rewrite it and send SIGHUP).
    let configFile: String
    /// Where the binaries and the demo model are.
    let paths: ProcessPaths

    /// A `/infer` body for the demo model.
    static let body = Array(("{\"input\":[" + Array(repeating: "0.125", count: 256).joined(separator: ",") + "]}").utf8)

    /// Sends one `/infer` request.
    func infer(body: [UInt8] = Self.body) async throws -> HTTPClientResponse {
        try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: body), timeout: .seconds(10))
    }

    /// Sends `/infer` from `workers` closed loops for `duration` while `meanwhile` runs.
    ///
    /// - Returns: how many answers were 200, and the statuses of the others (-1: no answer).
    func underLoad(workers: Int = 4, for duration: Duration, meanwhile: @escaping @Sendable () async throws -> Void) async throws -> (ok: Int, failed: [Int]) {
        let tally = Tally()
        let end = ContinuousClock.now + duration
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { [self] in
                    while ContinuousClock.now < end {
                        let status = (try? await infer())?.status ?? -1
                        tally.state.withLock { if status == 200 { $0.ok += 1 } else { $0.failed.append(status) } }
                    }
                }
            }
            group.addTask { try await meanwhile() }
            try await group.waitForAll()
        }
        return tally.state.withLock { ($0.ok, $0.failed) }
    }

    /// Outcomes counted by concurrent load workers.
    private final class Tally: Sendable {
        // Guarded by the Mutex.
        let state = Mutex((ok: 0, failed: [Int]()))
    }
}

/// Starts `servers` share servers and a gateway whose config adds `gatewayKeys` to `[gateway]`,
/// `sections` after it and `modelKeys` to the model (`model`, default the demo model); runs `body`; stops every process
/// after, also when `body` throws.
/// With `gatewayLog`, the gateway's stderr goes to that file.
///
/// Processes are stopped with awaits, never from a `defer` that could only block a thread.
func withProcessDeployment(
    servers count: Int, model: (name: String, path: String)? = nil,
    gatewayKeys: String = "", sections: String = "", modelKeys: String = "", serverLogLevel: String = "warning",
    gatewayLog: String? = nil, gatewayLogLevel: String = "warning",
    _ body: (inout ProcessDeployment) async throws -> Void
) async throws {
    let paths = try ProcessPaths()
    let client = CurlHTTPClient()
    var servers = [ChildProcess]()
    var gateway: ChildProcess?
    do {
        for _ in 0..<count {
            servers.append(try await ChildProcess.start(
                executable: paths.server,
                arguments: ["--model", model?.path ?? paths.model, "--name", model?.name ?? "demo", "--listen", "127.0.0.1:0", "--log-level", serverLogLevel]))
        }
        let backends = servers.enumerated().map { index, server in
            "[[models.backends]]\nurl = \"http://127.0.0.1:\(server.port)\"\ntrust_domain = \"operator-\(index)\"\n"
        }.joined()
        let config = "[gateway]\nlisten = \"127.0.0.1:0\"\nlog_level = \"\(gatewayLogLevel)\"\n\(gatewayKeys)\n\(sections)\n"
            + "[[models]]\nname = \"\(model?.name ?? "demo")\"\npath = \"\(model?.path ?? paths.model)\"\n\(modelKeys)\n\(backends)"
        let configFile = try paths.temporaryFile(named: "gateway.conf", contents: config)
        let started = try await ChildProcess.start(executable: paths.gateway, arguments: ["--config", configFile], standardError: gatewayLog)
        gateway = started
        var deployment = ProcessDeployment(url: "http://127.0.0.1:\(started.port)", client: client, servers: servers,
                                           gateway: started, configFile: configFile, paths: paths)
        // The body may restart servers; stop whichever are current.
        defer { servers = deployment.servers }
        try await body(&deployment)
    } catch {
        await stopAll(servers, gateway, client)
        throw error
    }
    await stopAll(servers, gateway, client)
}

private func stopAll(_ servers: [ChildProcess], _ gateway: ChildProcess?, _ client: CurlHTTPClient) async {
    await gateway?.stop()
    for server in servers { await server.stop() }
    client.shutdown()
}
