import CurlTransport
import EISCore
import EISGateway
import EISLaunch
import EISTestSupport
import Foundation
import Testing

/// End-to-end tests with real processes: two `eis-server`s and an `eis-gateway`, on free ports.
@Suite(.serialized)
struct GatewayIntegrationTests {
    /// Runs `body` with two eis-servers and a gateway in front of them; stops all three after.
    private func withDeployment(
        extraGatewayConfig: String = "backend_timeout_ms = 5000",
        _ body: (_ gatewayURL: String, _ client: CurlHTTPClient, _ servers: [ChildProcess], _ gateway: ChildProcess) async throws -> Void
    ) async throws {
        try await withProcessDeployment(servers: 2, gatewayKeys: extraGatewayConfig) { deployment in
            try await body(deployment.url, deployment.client, deployment.servers, deployment.gateway)
        }
    }

    @Test func hundredRandomInputsMatchTheDoubleReference() async throws {
        let reference = try DemoReference()
        try await withDeployment { url, client, _, _ in
            var generator = SystemRandomNumberGenerator()
            var worst = 0.0
            for _ in 0..<100 {
                let x = (0..<reference.inputs).map { _ in Double.random(in: -1...1, using: &generator) }
                let response = try await client.execute(
                    HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")],
                                      body: Array(try JSONEncoder().encode(["input": x]))),
                    timeout: .seconds(10))
                #expect(response.status == 200)
                let output = try JSONDecoder().decode(SingleOutput.self, from: Data(response.body)).output
                let expected = reference.apply(x)
                #expect(output.count == expected.count)
                for (y, e) in zip(output, expected) { worst = max(worst, abs(y - e)) }
            }
            #expect(worst < 1e-6, "max |y − (W·x + b)| = \(worst)")
        }
    }

    @Test func everyBadInputGetsItsStatusAndTheGatewayKeepsServing() async throws {
        let reference = try DemoReference()
        let valid = "{\"input\":[" + Array(repeating: "0.5", count: reference.inputs).joined(separator: ",") + "]}"
        let cases: [(body: String, status: Int, code: String)] = [
            ("{\"input\":[1,2", 400, "malformed_json"),
            ("{\"input\":[1,2]}", 400, "wrong_length"),
            ("{\"input\":[1,\"a\"]}", 400, "invalid_value"),
            ("{\"input\":[" + Array(repeating: "1e9", count: reference.inputs).joined(separator: ",") + "]}", 400, "out_of_range"),
            ("{\"model\":\"nope\",\"input\":[1]}", 404, "unknown_model"),
            ("{}", 400, "missing_input"),
            (String(repeating: " ", count: 2 << 20), 413, "body_too_large"),
        ]
        try await withDeployment { url, client, _, _ in
            for bad in cases {
                let response = try await client.execute(
                    HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: Array(bad.body.utf8)), timeout: .seconds(10))
                #expect(response.status == bad.status, "\(bad.code)")
                let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))
                #expect(error?.error.code == bad.code)
                let after = try await client.execute(
                    HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: Array(valid.utf8)), timeout: .seconds(10))
                #expect(after.status == 200, "gateway stopped serving after \(bad.code)")
            }
        }
    }

    @Test func aStoppedBackendGives503AndAHungOneGives504() async throws {
        let reference = try DemoReference()
        let valid = Array(("{\"input\":[" + Array(repeating: "0.25", count: reference.inputs).joined(separator: ",") + "]}").utf8)
        try await withDeployment(extraGatewayConfig: "request_timeout_ms = 1500\nbackend_timeout_ms = 3000") { url, client, servers, _ in
            let ok = try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: valid), timeout: .seconds(10))
            #expect(ok.status == 200)
            servers[1].signal(SIGSTOP)  // accepts connections (kernel backlog) but never answers
            let started = ContinuousClock.now
            let hung = try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: valid), timeout: .seconds(10))
            #expect(hung.status == 504)
            #expect(ContinuousClock.now - started < .seconds(5))
            servers[1].signal(SIGCONT)
            await servers[1].kill()
            let down = try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: valid), timeout: .seconds(10))
            #expect(down.status == 503)
            #expect(down.header("retry-after") != nil)
            let health = try await client.execute(HTTPClientRequest(method: .get, url: url + "/healthz"), timeout: .seconds(10))
            #expect(health.status == 200 || health.status == 503)
        }
    }

    /// docs/ARCHITECTURE.md invariant 3: inputs and outputs never reach the log, even at `trace`, on the
    /// success path, on bad input, and when a backend fails mid-request; in both log formats, and
    /// in JSON every line is one object with a timestamp, a level and a message.
    @Test(arguments: ["text", "json"])
    func inputsAndOutputsNeverAppearInTheGatewayLog(format: String) async throws {
        let paths = try ProcessPaths()
        let log = try paths.temporaryFile(named: "gateway.log", contents: "")
        // Distinctive values that cannot occur in a log by accident.
        let marker = 0.73191735113
        let x = (0..<256).map { index in marker + Double(index) * 1e-9 }
        let body = Array(try JSONEncoder().encode(["input": x]))
        var output = [Double]()
        let keys = "backend_timeout_ms = 5000\nlog_format = \"\(format)\""
        try await withProcessDeployment(servers: 2, gatewayKeys: keys, gatewayLog: log, gatewayLogLevel: "trace") { deployment in
            let answer = try await deployment.infer(body: body)
            #expect(answer.status == 200)
            output = try JSONDecoder().decode(SingleOutput.self, from: Data(answer.body)).output
            let wrongLength = Array(try JSONEncoder().encode(["input": Array(x.prefix(7))]))
            #expect(try await deployment.infer(body: wrongLength).status == 400)
            await deployment.servers[1].kill()
            #expect(try await deployment.infer(body: body).status == 503)
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("backend call failed"), "the log was captured at trace level")
        if format == "json" {
            let lines = text.split(separator: "\n")
            #expect(lines.count > 3)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["timestamp"] is String && object?["level"] is String && object?["message"] is String,
                        "not a JSON log object: \(line.prefix(120))")
            }
        }
        #expect(!text.contains("0.7319173"), "an input value reached the log")
        for y in output.prefix(3) {
            #expect(!text.contains(String(String(y).prefix(9))), "an output value reached the log")
        }
    }

    @Test func sigtermLetsInFlightRequestsFinishThenExitsZero() async throws {
        let reference = try DemoReference()
        let valid = Array(("{\"input\":[" + Array(repeating: "0.25", count: reference.inputs).joined(separator: ",") + "]}").utf8)
        try await withDeployment(extraGatewayConfig: "backend_timeout_ms = 4000") { url, client, servers, gateway in
            #expect(try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: valid), timeout: .seconds(10)).status == 200)
            // Hold the requests inside the gateway: one backend stops answering for a moment.
            servers[1].signal(SIGSTOP)
            let inFlight = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<3 {
                        group.addTask { try await client.execute(HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: valid), timeout: .seconds(10)).status }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            gateway.signal(SIGTERM)
            try await Task.sleep(for: .milliseconds(300))
            servers[1].signal(SIGCONT)
            #expect(try await inFlight.value == [200, 200, 200], "requests in flight at SIGTERM are answered")
            #expect(await gateway.waitForExit() == 0)
        }
    }

    @Test func shippedDemoConfigLaunchesAndStopsItsOwnServers() async throws {
        let paths = try ProcessPaths()
        let shipped = try String(contentsOfFile: paths.root + "/gateway.conf", encoding: .utf8)
            .replacingOccurrences(of: "listen = \"127.0.0.1:8080\"", with: "listen = \"127.0.0.1:0\"")
            .replacingOccurrences(of: "path = \"models/demo.safetensors\"", with: "path = \"\(paths.model)\"")
        let configFile = try paths.temporaryFile(named: "demo.conf", contents: shipped)
        let gateway = try await ChildProcess.start(executable: paths.gateway, arguments: ["--config", configFile])
        let client = CurlHTTPClient()
        do {
            try await checkLaunchAndStop(gateway: gateway, client: client)
        } catch {
            await gateway.stop()
            client.shutdown()
            throw error
        }
        await gateway.stop()
        client.shutdown()
    }

    private func checkLaunchAndStop(gateway: ChildProcess, client: CurlHTTPClient) async throws {
        let url = "http://127.0.0.1:\(gateway.port)"
        let health = try await client.execute(HTTPClientRequest(method: .get, url: url + "/healthz"), timeout: .seconds(10))
        #expect(health.status == 200)
        let report = try JSONDecoder().decode(Health.self, from: Data(health.body))
        let backendURLs = report.models.flatMap(\.backends).map(\.url)
        #expect(backendURLs.count == 2)
        let x = Array(repeating: 0.1, count: 256)
        let answer = try await client.execute(
            HTTPClientRequest(method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: Array(try JSONEncoder().encode(["input": x]))), timeout: .seconds(10))
        #expect(answer.status == 200)

        gateway.signal(SIGINT)
        #expect(await gateway.waitForExit() == 0)
        for backend in backendURLs {
            await #expect(throws: TransportError.self, "launched server \(backend) still answers after the gateway stopped") {
                _ = try await client.execute(HTTPClientRequest(method: .get, url: backend + "/healthz"), timeout: .seconds(2))
            }
        }
    }

    @Test func checkConfigExitsZeroForValidAndOneForInvalid() async throws {
        let paths = try ProcessPaths()
        let valid = Process()
        valid.executableURL = URL(fileURLWithPath: paths.gateway)
        valid.arguments = ["--check-config", "--config", paths.root + "/gateway.conf"]
        valid.standardOutput = FileHandle.nullDevice
        try valid.run()
        valid.waitUntilExit()
        #expect(valid.terminationStatus == 0)

        let invalidFile = try paths.temporaryFile(named: "bad.conf", contents: "[[models]]\nname = \"m\"\nshares = 1\n")
        let invalid = Process()
        invalid.executableURL = URL(fileURLWithPath: paths.gateway)
        invalid.arguments = ["--check-config", "--config", invalidFile]
        let errors = Pipe()
        invalid.standardError = errors
        try invalid.run()
        invalid.waitUntilExit()
        #expect(invalid.terminationStatus == 1)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("models[0].shares"))
        #expect(message.contains("models[0].path"))
    }
}

/// The demo layer in Double, read independently of the gateway, for reference answers.
struct DemoReference {
    let weight: [[Double]]
    let bias: [Double]
    var inputs: Int { weight[0].count }

    init() throws {
        let paths = try ProcessPaths()
        let file = try SafetensorsFile(contentsOf: paths.model)
        let w = try #require(file.tensors["fc.weight"])
        let b = try #require(file.tensors["fc.bias"])
        weight = (0..<w.shape[0]).map { Array(w.values[($0 * w.shape[1])..<(($0 + 1) * w.shape[1])]) }
        bias = b.values
    }

    /// W·x + b in Double.
    func apply(_ x: [Double]) -> [Double] {
        zip(weight, bias).map { row, b in zip(row, x).reduce(b) { $0 + $1.0 * $1.1 } }
    }
}

private struct SingleOutput: Decodable { let output: [Double] }

private struct Health: Decodable {
    struct Model: Decodable { let backends: [Backend] }
    struct Backend: Decodable { let url: String }
    let models: [Model]
}
