import ArgumentParser
import CurlTransport
import EISCore
import EISLaunch
import Foundation

/// `eis-bench`: latency and throughput of the gateway against the unprotected baseline.
@main
struct EISBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eis-bench",
        abstract: "Measure p50/p99 and requests/s: the gateway with two local backends vs. a direct call to one eis-server.",
        discussion: """
            Starts two eis-server processes and two eis-gateways in front of them, one without batching \
            and one with it (all on 127.0.0.1, free ports), then for each concurrency measures every scenario \
            for the same total duration, in --rounds slices that take turns:
              hop      GET /healthz on the gateway: the inbound HTTP hop alone, no backend call
              server-hop  GET /healthz on an eis-server: a constant answer through the same Hummingbird stack, \
            what the inbound HTTP framework alone costs per request here
              gateway  POST /infer with one JSON input row (encode, share, 2 backends, recombine), batching = false
              batched  the same request to the gateway with batching = true: concurrent requests share one sharing
              batched-f32  the same input as application/octet-stream float32 to the batching gateway (no JSON)
              direct   POST /v1/share to one eis-server with the unshared encoded input (no privacy)
              pair     that request to both eis-servers at once, as the gateway sends its two shares: \
            its backend leg alone, with both servers busy on this machine
              nginx    the direct request through nginx (proxy_pass, keep-alive upstream) when nginx is \
            installed: what a real proxy adds on this machine
              mlp      POST /infer to a 4-layer MLP (IN→64→64→64→OUT, relu) on the gateway without batching: \
            4 share rounds; with `gateway` (1 round) it splits the gateway's cost into per round and per request
            Both gateways pad with the default buckets. --layer 1024x1024 measures a random layer of that \
            shape instead of the demo model. Run it in release mode: swift run -c release eis-bench
            """,
        // `eis-bench kernel` times the share server's kernel alone, `eis-bench encoder` a sentence
        // encoder end to end, `eis-bench trust` verification and replicated sharing; without a
        // subcommand the gateway scenarios run.
        subcommands: [KernelBenchCommand.self, EncoderBenchCommand.self, TrustBenchCommand.self]
    )

    @Option(help: "Comma-separated concurrency levels.")
    var concurrency: String = "1,16"

    @Option(help: "Seconds of measurement per scenario and level.")
    var seconds: Double = 5

    @Option(help: "Seconds of warm-up per scenario and level (not measured).")
    var warmup: Double = 1

    @Option(help: "Slices each scenario's measured time is cut into; the scenarios take turns slice by slice, so load changes during the run reach them all alike.")
    var rounds: Int = 5

    @Option(help: "Model file (default: models/demo.safetensors).")
    var model: String = "models/demo.safetensors"

    @Option(name: .customLong("layer"), help: "Measure a random nn.Linear of this shape, INxOUT (e.g. 1024x1024), written to a temporary file, instead of --model.")
    var layerShape: String?

    @Option(name: .customLong("max-delay-ms"), help: "max_delay_ms of the batching gateway (default: the gateway's).")
    var maxDelayMs: Double?

    @Option(name: .customLong("max-batch"), help: "max_batch of the batching gateway (default: the gateway's).")
    var maxBatch: Int?

    @Option(help: "Also draw p50, p99 and requests/s per scenario and concurrency into this SVG file.")
    var plot: String?

    @OptionGroup var output: BenchOutputOptions
    /// `--json`: one JSON object per scenario and level instead of the table.
    var json: Bool { output.json }

    func run() async throws {
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 > 0 }) else { throw ValidationError("--concurrency needs positive integers") }
        guard rounds >= 1 else { throw ValidationError("--rounds needs a positive integer") }
        var modelPath = URL(fileURLWithPath: model).standardized.path
        if let layerShape {
            modelPath = try Self.generateLayer(layerShape)
        }
        defer { if layerShape != nil { try? FileManager.default.removeItem(atPath: modelPath) } }
        let layer = try Self.onlyLayer(in: modelPath)

        // The servers serve the layer and a small MLP beside it, so one run also measures rounds.
        let servedPath = try MLPScenario.writeServedModel(layer: layer)
        defer { try? FileManager.default.removeItem(atPath: servedPath) }

        var children = [ChildProcess]()
        var proxy: NginxProxy?
        let client = CurlHTTPClient()
        var failure: (any Error)?
        do {
            try await benchmark(levels: levels, modelPath: servedPath, layer: layer, children: &children, proxy: &proxy, client: client)
        } catch {
            failure = error
        }
        await proxy?.stop()
        for child in children.reversed() { await child.stop() }
        client.shutdown()
        if let failure { throw failure }
    }

    /// Starts the processes (recorded in `children` and `proxy`, which the caller stops) and runs
    /// every scenario.
    private func benchmark(
        levels: [Int], modelPath: String, layer: LinearLayer, children: inout [ChildProcess], proxy: inout NginxProxy?,
        client: CurlHTTPClient
    ) async throws {
        let directory = URL(fileURLWithPath: ChildProcess.siblingExecutable("eis-server")).deletingLastPathComponent().path
        for _ in 0..<2 {
            children.append(try await ChildProcess.start(
                executable: directory + "/eis-server",
                arguments: ["--model", modelPath, "--name", "bench", "--listen", "127.0.0.1:0", "--log-level", "warning"]))
        }
        let models = """
            [[models]]
            name = "bench"
            path = "\(modelPath)"
            layer = "\(layer.name)"
            [[models.backends]]
            url = "http://127.0.0.1:\(children[0].port)"
            trust_domain = "a"
            [[models.backends]]
            url = "http://127.0.0.1:\(children[1].port)"
            trust_domain = "b"
            """ + "\n" + MLPScenario.modelSection(path: modelPath, servedName: "bench", serverPorts: [children[0].port, children[1].port])
        // Two gateways over the same two servers: without batching, and with it.
        let batchedKeys = (["batching = true"] + [maxDelayMs.map { "max_delay_ms = \($0)" }, maxBatch.map { "max_batch = \($0)" }].compactMap { $0 })
            .joined(separator: "\n")
        for (name, keys) in [("plain", "batching = false"), ("batched", batchedKeys)] {
            let config = "[gateway]\nlisten = \"127.0.0.1:0\"\nlog_level = \"warning\"\n\(keys)\n\(models)\n"
            let configURL = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-\(name).conf")
            try config.write(to: configURL, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: configURL) }
            children.append(try await ChildProcess.start(executable: directory + "/eis-gateway", arguments: ["--config", configURL.path]))
        }

        // The proxy anchor: nginx in front of the first server, when it is installed.
        if let nginx = NginxProxy.executable() {
            proxy = try await NginxProxy.start(executable: nginx, upstreamPort: children[0].port)
        } else if !json {
            print("nginx is not installed: the nginx scenario is skipped (Debian: apt-get install nginx-light)")
        }
        var scenarios = try Self.scenarios(layer: layer, modelName: "bench", gatewayPort: children[2].port,
                                           batchedPort: children[3].port, serverPorts: [children[0].port, children[1].port],
                                           nginxPort: proxy?.port)
        let servers = [(label: "servers", pid: children[0].pid), (label: "servers", pid: children[1].pid)]
        for index in scenarios.indices {
            switch scenarios[index].name {
            case "direct", "server-hop": scenarios[index].processes = [servers[0]]
            case "pair": scenarios[index].processes = servers
            case "nginx": scenarios[index].processes = [(label: "nginx", pid: proxy?.pid ?? 0), servers[0]]
            case "hop", "gateway", MLPScenario.name: scenarios[index].processes = [(label: "gateway", pid: children[2].pid)] + servers
            default: scenarios[index].processes = [(label: "gateway", pid: children[3].pid)] + servers
            }
        }
        // A line on stderr while it runs (a terminal only, never with --json).
        let progress = ProgressLine(total: .seconds(warmup + seconds) * (scenarios.count * levels.count), enabled: !json)
        let runner = LoadRunner(client: client, progress: progress)
        var results = [Measurement]()
        for level in levels {
            let measured = await runner.run(scenarios, concurrency: level, warmup: .seconds(warmup), duration: .seconds(seconds), rounds: rounds)
            results += measured
            for measured in measured {
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(measured), as: UTF8.self))
                }
            }
        }
        progress.finish()
        if !json { print(Report.table(results)) }
        if let plot {
            try LatencyPlot.svg(results).write(toFile: plot, atomically: true, encoding: .utf8)
            if !json { print("\nplot: \(plot)") }
        }
        // A scenario with no answered request measured nothing: fail, so a broken build or
        // deployment cannot pass for a slow one (CI runs this as a smoke test).
        let silent = results.filter { $0.requests == 0 }.map { "\($0.name) at concurrency \($0.concurrency)" }
        if !silent.isEmpty {
            throw BenchFailure(message: "no successful request in: \(silent.joined(separator: ", "))")
        }
    }

    /// Writes a random `nn.Linear` of shape `INxOUT` to a temporary file, drawn as PyTorch
    /// initialises one (uniform in ±1/√in), and returns its path.
    static func generateLayer(_ shape: String) throws -> String {
        let parts = shape.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, let inputs = parts.first, let outputs = parts.last, (1...65_536).contains(inputs), (1...65_536).contains(outputs) else {
            throw ValidationError("--layer needs INxOUT with both in 1...65536, e.g. 1024x1024")
        }
        var generator = SystemRandomNumberGenerator()
        let bound = 1 / Float(inputs).squareRoot()
        let weight = (0..<(inputs * outputs)).map { _ in Float.random(in: -bound...bound, using: &generator) }
        let bias = (0..<outputs).map { _ in Float.random(in: -bound...bound, using: &generator) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-\(inputs)x\(outputs).safetensors")
        return try SafetensorsWriter.write([
            .init(name: "fc.weight", shape: [outputs, inputs], values: weight),
            .init(name: "fc.bias", shape: [outputs], values: bias),
        ], to: url)
    }

    /// The model file's only layer (the benchmark measures one linear layer).
    static func onlyLayer(in path: String) throws -> LinearLayer {
        let layers = try LinearLayer.layers(in: try SafetensorsFile(contentsOf: path))
        guard layers.count == 1, let layer = layers.values.first else {
            throw ValidationError("\(path) must hold exactly one linear layer, has \(layers.count)")
        }
        return layer
    }

    /// The gateway requests (without and with batching), the unprotected direct request, and
    /// that request to both servers at once, for the same random input.
    static func scenarios(
        layer: LinearLayer, modelName: String, gatewayPort: Int, batchedPort: Int, serverPorts: [Int], nginxPort: Int? = nil
    ) throws -> [Scenario] {
        var generator = SystemRandomNumberGenerator()
        let x = (0..<layer.inputs).map { _ in Double.random(in: -1...1, using: &generator) }
        // Each gateway serves two models (the layer and the MLP), so requests name theirs.
        let gatewayBody = Array(try JSONEncoder().encode(InferBody(model: modelName, input: x)))
        let mlpBody = Array(try JSONEncoder().encode(InferBody(model: MLPScenario.name, input: x)))
        let encoded = try FixedPointCodec(fractionBits: Defaults.inputFractionBits).encode(x)
        let direct = ShareRequest(model: modelName, layer: layer.name, inputFractionBits: UInt8(Defaults.inputFractionBits),
                                  shares: Matrix(rows: 1, columns: layer.inputs, elements: encoded)).encoded()
        func directRequest(_ port: Int) -> HTTPClientRequest {
            HTTPClientRequest(method: .post, url: "http://127.0.0.1:\(port)\(ShareProtocol.path)",
                              headers: [(name: "Content-Type", value: ShareProtocol.contentType)], body: direct)
        }
        return [
            // The inbound HTTP hop alone (no shares, no backend calls): the part of the gateway's
            // latency that any local proxy would add.
            Scenario(name: "hop", request: HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(gatewayPort)/healthz")),
            // Hummingbird alone: a constant answer from an eis-server, no work of ours. With the
            // client's CPU for `pair` (libcurl sending two requests) it bounds from below what
            // the gateway can cost with this inbound framework and this outbound client.
            Scenario(name: "server-hop", request: HTTPClientRequest(method: .get, url: "http://127.0.0.1:\(serverPorts[0])/healthz")),
            Scenario(name: "gateway", request: HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(gatewayPort)/infer",
                headers: [(name: "Content-Type", value: "application/json")], body: gatewayBody)),
            Scenario(name: "batched", request: HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(batchedPort)/infer",
                headers: [(name: "Content-Type", value: "application/json")], body: gatewayBody)),
            Scenario(name: "batched-f32", request: HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(batchedPort)/infer?model=\(modelName)",
                headers: [(name: "Content-Type", value: "application/octet-stream")],
                body: x.flatMap { value in withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { Array($0) } })),
            Scenario(name: "direct", request: directRequest(serverPorts[0])),
            // The gateway's backend leg with nothing around it: two calls at once, one per server,
            // through the same libcurl client. With `hop` it gives the floor of the gateway's
            // latency on this machine.
            Scenario(name: "pair", requests: serverPorts.map(directRequest)),
            // The same multi-layer request (one input row, four rounds) without batching.
            Scenario(name: MLPScenario.name, request: HTTPClientRequest(
                method: .post, url: "http://127.0.0.1:\(gatewayPort)/infer",
                headers: [(name: "Content-Type", value: "application/json")], body: mlpBody)),
        ] + (nginxPort.map { port in
            // A real proxy in front of the first server: the cost of one proxied hop here.
            var request = directRequest(serverPorts[0])
            request.url = "http://127.0.0.1:\(port)\(ShareProtocol.path)"
            return [Scenario(name: "nginx", request: request)]
        } ?? [])
    }

    /// The JSON body of `POST /infer` for one row.
    struct InferBody: Encodable {
        let model: String
        let input: [Double]
    }
}

/// Why a benchmark run measured nothing.
struct BenchFailure: Error, CustomStringConvertible {
    /// What failed.
    let message: String
    var description: String { message }
}
