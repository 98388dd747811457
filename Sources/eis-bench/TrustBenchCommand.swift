import ArgumentParser
import CurlTransport
import EISCore
import EISLaunch
import Foundation

/// `eis-bench trust`: what verifying every partial and replicated 2-of-3 sharing cost, and what
/// replicated sharing saves while one of three servers is stalled.
struct TrustBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",
        abstract: "Measure verify on/off and replicated vs additive sharing, side by side, also with one of three servers stalled.",
        discussion: """
            Starts three eis-server processes (trust domains a, b, c) and one eis-gateway per scenario in front \
            of all three (batching off, so each request is one round):
              additive           k = 2, verify = "off"
              additive-verify    k = 2, verify = "freivalds"
              replicated         sharing = "replicated-2of3", verify = "off"
              replicated-verify  sharing = "replicated-2of3", verify = "freivalds"
              additive-hedged    k = 2, verify = "freivalds", hedging = true
            Phase 1 measures all five with every server running (which also gives hedging its latency \
            history); they take turns slice by slice \
            (--rounds), so they share the machine's load alike. Phase 2 measures additive-verify, \
            additive-hedged, replicated and replicated-verify one by one, each from the moment one server \
            is stopped with SIGSTOP (no warm-up; SIGCONT and --recovery seconds before the next), so the \
            stall's first seconds, before ejection and health checks react, are in every measurement. \
            Run it in release mode: swift run -c release eis-bench trust
            """
    )

    @Option(help: "Comma-separated concurrency levels.")
    var concurrency: String = "1,64"

    @Option(help: "Seconds of measurement per scenario and level.")
    var seconds: Double = 4

    @Option(help: "Seconds of warm-up per scenario and level (not measured).")
    var warmup: Double = 1

    @Option(help: "Slices each scenario's measured time is cut into.")
    var rounds: Int = 4

    @Option(name: .customLong("layer"), help: "Measure a random nn.Linear of this shape, INxOUT, instead of the demo model.")
    var layerShape: String?

    @Option(name: .customLong("backend-timeout-ms"), help: "backend_timeout_ms of every gateway.")
    var backendTimeoutMs: Int = 1000

    @Option(help: "Seconds the stalled server runs again before each stalled measurement, so the gateways' health checks readmit it.")
    var recovery: Double = 5

    @OptionGroup var output: BenchOutputOptions

    func run() async throws {
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }) else { throw ValidationError("--concurrency needs positive integers") }
        guard rounds >= 1 else { throw ValidationError("--rounds needs a positive integer") }
        let modelPath = try layerShape.map(EISBenchCommand.generateLayer) ?? URL(fileURLWithPath: "models/demo.safetensors").standardized.path
        defer { if layerShape != nil { try? FileManager.default.removeItem(atPath: modelPath) } }
        let layer = try EISBenchCommand.onlyLayer(in: modelPath)
        var children = [ChildProcess]()
        let client = CurlHTTPClient()
        var failure: (any Error)?
        do {
            try await benchmark(levels: levels, modelPath: modelPath, layer: layer, children: &children, client: client)
        } catch {
            failure = error
        }
        // A stopped server must be continued before it can be stopped.
        for child in children { child.signal(SIGCONT) }
        for child in children.reversed() { await child.stop() }
        client.shutdown()
        if let failure { throw failure }
    }

    /// The gateways measured: name and the keys that set them apart.
    static let gateways: [(name: String, gatewayKeys: String, modelKeys: String)] = [
        ("additive", "", "verify = \"off\""),
        ("additive-verify", "", "verify = \"freivalds\""),
        ("replicated", "", "sharing = \"replicated-2of3\"\nverify = \"off\""),
        ("replicated-verify", "", "sharing = \"replicated-2of3\"\nverify = \"freivalds\""),
        ("additive-hedged", "hedging = true", "verify = \"freivalds\""),
    ]

    private func benchmark(
        levels: [Int], modelPath: String, layer: LinearLayer, children: inout [ChildProcess], client: CurlHTTPClient
    ) async throws {
        let directory = URL(fileURLWithPath: ChildProcess.siblingExecutable("eis-server")).deletingLastPathComponent().path
        for _ in 0..<3 {
            children.append(try await ChildProcess.start(
                executable: directory + "/eis-server",
                arguments: ["--model", modelPath, "--name", "bench", "--listen", "127.0.0.1:0", "--log-level", "warning"]))
        }
        let servers = Array(children)
        let backends = servers.enumerated().map { index, server in
            "[[models.backends]]\nurl = \"http://127.0.0.1:\(server.port)\"\ntrust_domain = \"\(["a", "b", "c"][index])\"\n"
        }.joined()
        var gatewayProcesses = [String: ChildProcess]()
        for gateway in Self.gateways {
            let config = """
                [gateway]
                listen = "127.0.0.1:0"
                log_level = "error"
                batching = false
                backend_timeout_ms = \(backendTimeoutMs)
                \(gateway.gatewayKeys)
                [[models]]
                name = "bench"
                path = "\(modelPath)"
                layer = "\(layer.name)"
                \(gateway.modelKeys)
                \(backends)
                """
            let configURL = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-\(gateway.name).conf")
            try config.write(to: configURL, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: configURL) }
            let process = try await ChildProcess.start(executable: directory + "/eis-gateway", arguments: ["--config", configURL.path])
            children.append(process)
            gatewayProcesses[gateway.name] = process
        }
        var generator = SystemRandomNumberGenerator()
        let body = Array(try JSONEncoder().encode(["input": (0..<layer.inputs).map { _ in Double.random(in: -1...1, using: &generator) }]))
        let serverCPU = servers.map { (label: "servers", pid: $0.pid) }
        func scenario(_ name: String) -> Scenario {
            var scenario = Scenario(name: name, request: HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(gatewayProcesses[name]!.port)/infer",
                headers: [(name: "Content-Type", value: "application/json")], body: body))
            scenario.processes = [(label: "gateway", pid: gatewayProcesses[name]!.pid)] + serverCPU
            return scenario
        }
        let runner = LoadRunner(client: client)
        var healthy = [Measurement]()
        for level in levels {
            healthy += await runner.run(Self.gateways.map(\.name).map(scenario),
                                        concurrency: level, warmup: .seconds(warmup), duration: .seconds(seconds), rounds: rounds)
        }
        // One of three servers stalled (SIGSTOP: it accepts connections and never answers), from
        // the first measured request on: the cost of a stall is in its first seconds, before
        // ejection and health checks take the server out. Each scenario gets its own fresh stall,
        // after the server has run again long enough for every gateway's health checks to take it back.
        var stalled = [Measurement]()
        for level in levels {
            for name in ["additive-verify", "additive-hedged", "replicated", "replicated-verify"] {
                servers[0].signal(SIGCONT)
                try await Task.sleep(for: .seconds(recovery))
                servers[0].signal(SIGSTOP)
                stalled += await runner.run([scenario(name)], concurrency: level, warmup: .zero, duration: .seconds(seconds), rounds: 1)
            }
        }
        servers[0].signal(SIGCONT)
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for (phase, results) in [("all-up", healthy), ("one-stalled", stalled)] {
                for measured in results {
                    print(phase, String(decoding: try encoder.encode(measured), as: UTF8.self))
                }
            }
        } else {
            print("layer \(layer.inputs)→\(layer.outputs); verification check ÷ product per share row: "
                  + "\(Int((FreivaldsCheck.costRatio(inputs: layer.inputs, outputs: layer.outputs) * 1000).rounded()) / 10) %")
            print("\nall three servers running")
            print(Report.rows(healthy))
            print("\none of three servers stalled (SIGSTOP)")
            print(Report.rows(stalled))
            print("\nslowest request while stalled (ms), backend_timeout_ms = \(backendTimeoutMs)")
            for measured in stalled {
                print("  \(measured.name) at concurrency \(measured.concurrency): \(String(format: "%.1f", measured.max_ms))")
            }
        }
        let silent = (healthy + stalled).filter { $0.requests == 0 }.map { "\($0.name) at concurrency \($0.concurrency)" }
        if !silent.isEmpty {
            throw BenchFailure(message: "no successful request in: \(silent.joined(separator: ", "))")
        }
    }
}
