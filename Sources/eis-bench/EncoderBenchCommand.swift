import ArgumentParser
import CurlTransport
import EISCore
import EISLaunch
import EISModels
import EISTokenizer
import Foundation

/// `eis-bench encoder`: a sentence encoder through the gateway and two share servers, against
/// the same model run locally in float32 with no sharing, side by side in one run.
struct EncoderBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Time sentence embeddings through the gateway (two local eis-servers) against the same encoder run locally in float32.",
        discussion: """
            Starts two eis-server processes serving the model folder's 24 linear layers and an eis-gateway \
            with kind = "bert-encoder" in front of them, then, in --rounds rounds that take turns, sends \
            --requests sequential POST /v1/embeddings requests of one sentence and of a batch of --batch \
            sentences, and runs the same inputs through the encoder in this process: in float32 (OpenBLAS, \
            one thread, no sharing), and with its linear layers skipped (the local steps alone, what the \
            gateway computes itself). Reports p50/p99 latency, sentences per second, and CPU per sentence of \
            the gateway and of the servers, so the gateway's own part (local steps plus round overhead) \
            can be set against the whole local float32 pass. Run it in release mode: \
            swift run -c release eis-bench encoder
            """
    )

    @Option(help: "The Hugging Face model folder.")
    var model: String = "models/all-MiniLM-L6-v2"

    @Option(help: "Requests per scenario and round.")
    var requests: Int = 20

    @Option(help: "Rounds the scenarios take turns in.")
    var rounds: Int = 3

    @Option(help: "Sentences in the batched request.")
    var batch: Int = 32

    @OptionGroup var output: BenchOutputOptions

    /// Varied short sentences (model-card style): the batch cycles through them.
    static let sentences = [
        "That is a happy person", "That is a happy dog", "That is a very happy person", "Today is a sunny day",
        "A man is eating food.", "A man is riding a white horse on an enclosed ground.", "The new movie is awesome",
        "The cat sits outside", "Crème brûlée à la française, s'il vous plaît!", "東京は日本の首都です。",
        "Privacy-preserving inference splits every linear layer's input into random shares.",
        "Call the office before 5:30pm on Friday.", "A woman is playing the violin.", "Two men pushed carts through the woods.",
        "A monkey is playing drums.", "The quick brown fox jumps over the lazy dog.",
    ]

    func run() async throws {
        guard requests >= 1, rounds >= 1, batch >= 1 else { throw ValidationError("--requests, --rounds and --batch must be positive") }
        let folder = URL(fileURLWithPath: model).standardized.path
        let encoder = try BertEncoder(folder: folder, name: "bench")
        let tokenizer = try WordPieceTokenizer(contentsOf: URL(fileURLWithPath: folder), maxLength: encoder.maxSequenceLength)
        let batchTexts = (0..<batch).map { Self.sentences[$0 % Self.sentences.count] }
        let inputs = [(name: "1 sentence", texts: [Self.sentences[0]]), (name: "\(batch) sentences", texts: batchTexts)]

        var children = [ChildProcess]()
        let client = CurlHTTPClient()
        var failure: (any Error)?
        do {
            let results = try await benchmark(folder: folder, encoder: encoder, tokenizer: tokenizer, inputs: inputs, children: &children, client: client)
            report(results)
        } catch {
            failure = error
        }
        for child in children.reversed() { await child.stop() }
        client.shutdown()
        if let failure { throw failure }
    }

    /// One scenario's numbers.
    struct Result: Encodable {
        let scenario: String
        let input: String
        let sentences: Int
        let p50Ms: Double
        let p99Ms: Double
        let sentencesPerSecond: Double
        /// CPU milliseconds per sentence, by process role (gateway, servers, local).
        let cpuMsPerSentence: [String: Double]
    }

    private func benchmark(
        folder: String, encoder: BertEncoder, tokenizer: WordPieceTokenizer, inputs: [(name: String, texts: [String])],
        children: inout [ChildProcess], client: CurlHTTPClient
    ) async throws -> [Result] {
        let directory = URL(fileURLWithPath: ChildProcess.siblingExecutable("eis-server")).deletingLastPathComponent().path
        for _ in 0..<2 {
            children.append(try await ChildProcess.start(
                executable: directory + "/eis-server", arguments: ["--model", folder, "--name", "bench", "--listen", "127.0.0.1:0", "--log-level", "warning"],
                timeout: .seconds(120)))
        }
        let config = """
            [gateway]
            listen = "127.0.0.1:0"
            log_level = "warning"
            request_timeout_ms = 120000
            backend_timeout_ms = 60000
            [[models]]
            name = "bench"
            kind = "bert-encoder"
            path = "\(folder)"
            [[models.backends]]
            url = "http://127.0.0.1:\(children[0].port)"
            trust_domain = "a"
            [[models.backends]]
            url = "http://127.0.0.1:\(children[1].port)"
            trust_domain = "b"
            """
        let configURL = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-encoder.conf")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: configURL) }
        children.append(try await ChildProcess.start(executable: directory + "/eis-gateway", arguments: ["--config", configURL.path], timeout: .seconds(120)))
        let gatewayURL = "http://127.0.0.1:\(children[2].port)/v1/embeddings"
        let processes = [(label: "gateway", pid: children[2].pid), (label: "servers", pid: children[0].pid), (label: "servers", pid: children[1].pid)]

        let float32 = Float32LinearEvaluator(layers: encoder.linearLayers)
        let skipped = SkippedLinearEvaluator(plan: encoder.plan)
        var samples = [String: [Double]]()
        var cpu = [String: [String: Double]]()
        for round in 0...rounds {
            // Round 0 warms every path up and is not counted.
            let counted = round > 0
            for input in inputs {
                let body = Array(try JSONSerialization.data(withJSONObject: ["input": input.texts, "encoding_format": "float"]))
                let ids = input.texts.map { tokenizer.encode($0).ids }
                let scenarios: [(name: String, run: () async throws -> Void, processes: [(label: String, pid: Int32)])] = [
                    ("gateway", {
                        let response = try await client.execute(
                            HTTPClientRequest(method: .post, url: gatewayURL, headers: [(name: "Content-Type", value: "application/json")], body: body),
                            timeout: .seconds(120))
                        guard response.status == 200 else { throw ValidationError("the gateway answered \(response.status)") }
                    }, processes),
                    ("local float32", { _ = try await encoder.embed(ids, evaluator: float32) }, [(label: "local", pid: 0)]),
                    ("local steps only", { _ = try await encoder.embed(ids, evaluator: skipped) }, [(label: "local", pid: 0)]),
                ]
                for scenario in scenarios {
                    let key = "\(scenario.name)|\(input.name)"
                    let before = ProcessCPU.snapshot(scenario.processes)
                    for _ in 0..<(counted ? requests : 1) {
                        let start = ContinuousClock.now
                        try await scenario.run()
                        if counted { samples[key, default: []].append((ContinuousClock.now - start).seconds) }
                    }
                    guard counted else { continue }
                    let after = ProcessCPU.snapshot(scenario.processes)
                    for (label, seconds) in after { cpu[key, default: [:]][label, default: 0] += seconds - (before[label] ?? 0) }
                }
            }
        }
        var results = [Result]()
        for input in inputs {
            for scenario in ["gateway", "local float32", "local steps only"] {
                let key = "\(scenario)|\(input.name)"
                let sorted = (samples[key] ?? []).sorted()
                let sentences = Double(sorted.count * input.texts.count)
                results.append(Result(
                    scenario: scenario, input: input.name, sentences: input.texts.count,
                    p50Ms: LoadRunner.percentile(sorted, 0.5) * 1000, p99Ms: LoadRunner.percentile(sorted, 0.99) * 1000,
                    sentencesPerSecond: sentences / max(sorted.reduce(0, +), 1e-9),
                    cpuMsPerSentence: (cpu[key] ?? [:]).mapValues { $0 * 1000 / max(sentences, 1) }))
            }
        }
        return results
    }

    private func report(_ results: [Result]) {
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            for result in results { print(String(decoding: (try? encoder.encode(result)) ?? Data(), as: UTF8.self)) }
            return
        }
        print("scenario          input           p50 ms    p99 ms   sentences/s   CPU ms/sentence")
        for result in results {
            let cpu = result.cpuMsPerSentence.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
            print(result.scenario.padding(toLength: 18, withPad: " ", startingAt: 0) + result.input.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: "%9.2f %9.2f %13.1f   ", result.p50Ms, result.p99Ms, result.sentencesPerSecond) + cpu)
        }
        for input in Set(results.map(\.input)).sorted() {
            let of = { (name: String) in results.first { $0.input == input && $0.scenario == name } }
            guard let gateway = of("gateway"), let local = of("local float32"), let steps = of("local steps only") else { continue }
            let gatewayCPU = gateway.cpuMsPerSentence["gateway"] ?? 0, serversCPU = gateway.cpuMsPerSentence["servers"] ?? 0
            let localCPU = local.cpuMsPerSentence["local"] ?? 0, stepsCPU = steps.cpuMsPerSentence["local"] ?? 0
            print("\(input): p50 gateway ÷ local float32 = \(String(format: "%.2f", gateway.p50Ms / local.p50Ms)); "
                  + "gateway CPU \(String(format: "%.2f", gatewayCPU)) ms/sentence = local steps \(String(format: "%.2f", stepsCPU)) + rounds \(String(format: "%.2f", gatewayCPU - stepsCPU)); "
                  + "gateway's part ÷ whole local float32 pass = \(String(format: "%.2f", gatewayCPU / max(localCPU, 1e-9))); "
                  + "servers \(String(format: "%.2f", serversCPU)) ms/sentence (both)")
        }
    }
}

/// A `LinearEvaluator` that skips every product (answers zeros of the right width): running a
/// plan with it times the local steps alone.
struct SkippedLinearEvaluator: LinearEvaluator {
    let plan: ModelPlan

    func product(layer name: String, input: Matrix<Double>) async throws -> Matrix<Double> {
        let outputs = plan.layers[name]?.weight.rows ?? 0
        return Matrix(rows: input.rows, columns: outputs, elements: [Double](repeating: 0, count: input.rows * outputs))
    }
}

private extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
