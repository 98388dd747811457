import EISBackend
import EISCore
import EISModels
import EISTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import EISGateway

/// A model of `steps` runs every linear layer as its own freshly shared round on real share
/// servers and every other step on the gateway, and answers what the network computes in
/// Double; a hidden layer that leaves the fixed-point range is the gateway's 500, and a backend
/// lost between two layers costs a failover, not the request.
@Suite(.timeLimit(.minutes(2)))
struct SequentialModelTests {
    static let steps = ["fc1", "relu", "fc2", "gelu", "fc3", "softmax"]

    /// fc1 12→16, fc2 16→8, fc3 8→5, with biases; weights large enough that every activation
    /// matters, small enough that the default fixed point is exact.
    static func writeMLP(to directory: URL, scale: Float = 0.5, biasScale: Float = 0.5) throws -> String {
        var generator = SplitMix64(seed: 42)
        func values(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in Float.random(in: -scale..<scale, using: &generator) } }
        return try Fixtures.writeSafetensors([
            (name: "fc1.weight", shape: [16, 12], values: values(16 * 12, scale)), (name: "fc1.bias", shape: [16], values: values(16, biasScale)),
            (name: "fc2.weight", shape: [8, 16], values: values(8 * 16, scale)), (name: "fc2.bias", shape: [8], values: values(8, biasScale)),
            (name: "fc3.weight", shape: [5, 8], values: values(5 * 8, scale)), (name: "fc3.bias", shape: [5], values: values(5, biasScale)),
        ], to: directory.appendingPathComponent("mlp.safetensors"))
    }

    /// The network in Double with plain loops: the reference the gateway must match.
    static func reference(_ path: String, _ x: [Double]) throws -> [Double] {
        let layers = try LinearLayer.layers(in: SafetensorsFile(contentsOf: path))
        var h = x
        for step in steps {
            if let layer = layers[step] {
                h = Fixtures.reference(layer, h)
            } else if step == "relu" {
                h = h.map { max(0, $0) }
            } else if step == "gelu" {
                h = h.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
            } else {
                let top = h.max()!
                let e = h.map { exp($0 - top) }
                let total = e.reduce(0, +)
                h = e.map { $0 / total }
            }
        }
        return h
    }

    /// A gateway configuration for the MLP with one backend per URL, each in its own trust domain.
    static func configuration(_ path: String, backendURLs: [String]) -> GatewayConfiguration {
        var configuration = Fixtures.gatewayConfiguration(backendURLs: backendURLs, modelPath: path)
        configuration.models[0].name = "mlp"
        configuration.models[0].layer = nil
        configuration.models[0].steps = steps
        return configuration
    }

    private func withMLPDeployment(
        servers count: Int, scale: Float = 0.5, biasScale: Float = 0.5, inputFractionBits: Int? = nil, weightFractionBits: Int? = nil,
        _ body: @Sendable (String, InProcessServers, Gateway) async throws -> Void
    ) async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try Self.writeMLP(to: directory, scale: scale, biasScale: biasScale)
            var spec = ShareServerSpec(modelPath: path, modelName: "mlp")
            if let weightFractionBits { spec.weightFractionBits = weightFractionBits }
            try await withShareServers(Array(repeating: spec, count: count)) { servers in
                var configuration = Self.configuration(path, backendURLs: servers.urls)
                if let inputFractionBits { configuration.models[0].inputFractionBits = inputFractionBits }
                if let weightFractionBits { configuration.models[0].weightFractionBits = weightFractionBits }
                try await withGateway(configuration) { gateway in try await body(path, servers, gateway) }
            }
        }
    }

    @Test func aSequentialNetworkAnswersWhatItComputesInDouble() async throws {
        try await withMLPDeployment(servers: 2) { path, _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                for seed in 0..<6 {
                    let x = Fixtures.randomRow(count: 12, seed: UInt64(seed))
                    let response = try await GatewayRoutesTests.infer(client, #"{"model":"mlp","input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let answer = try #require(try GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, response).output)
                    let expected = try Self.reference(path, x)
                    #expect(answer.count == 5)
                    let worst = zip(answer, expected).map { abs($0 - $1) }.max() ?? .infinity
                    #expect(worst < 1e-6, "max |Δ| = \(worst)")
                }
                // Three rounds per request, each counted by each backend.
                let metrics = try await GatewayProbe.metrics(client)
                let calls = ["backend-0", "backend-1"].compactMap {
                    GatewayProbe.value(of: #"eis_backend_requests_total{backend="\#($0)",outcome="ok"}"#, in: metrics)
                }
                let total: Double = calls.reduce(0, +)
                #expect(total == 36, "6 requests × 3 rounds × 2 shares")
            }
        }
    }

    @Test func everyShareRoundOfAPlanIsTimedOnItsOwn() async throws {
        try await withMLPDeployment(servers: 2) { _, _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                for seed in 0..<4 {
                    let x = Fixtures.randomRow(count: 12, seed: UInt64(seed))
                    let response = try await GatewayRoutesTests.infer(client, #"{"model":"mlp","input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                    #expect(response.status == .ok)
                }
                let metrics = try await GatewayProbe.metrics(client)
                let rounds = GatewayProbe.value(of: #"eis_round_duration_seconds_count{model="mlp"}"#, in: metrics)
                #expect(rounds == 12, "4 requests × 3 rounds")
                let requests = GatewayProbe.value(of: #"eis_request_duration_seconds_count{model="mlp"}"#, in: metrics)
                #expect(requests == 4)
            }
        }
    }

    @Test func batchedRequestsOfAPlanModelGetTheirOwnRowsBack() async throws {
        try await withMLPDeployment(servers: 2) { path, _, gateway in
            let pipeline = try #require(gateway.pipelines["mlp"])
            let rows = (0..<3).map { Fixtures.randomRow(count: 12, seed: 100 + UInt64($0)) }
            var padded = pipeline
            padded.padding = Padding(buckets: [8])
            let answers = try await padded.infer(rows, deadline: .now + .seconds(20))
            #expect(answers.count == 3)
            for (row, answer) in zip(rows, answers) {
                let worst = zip(answer, try Self.reference(path, row)).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-6)
            }
        }
    }

    /// Counts calls per layer and can run an action after a layer's call answered.
    final class LayerWatcher: Backend {
        let inner: any Backend
        private let state = Mutex((layers: [String](), shareRows: [[Int64]](), onLocalStepExecutor: [Bool](),
                                   after: [String: @Sendable () async -> Void]()))

        init(_ inner: any Backend) { self.inner = inner }

        var layers: [String] { state.withLock { $0.layers } }
        /// Every share row received, in order.
        var shareRows: [[Int64]] { state.withLock { $0.shareRows } }
        /// For every call, whether it was made from the gateway's local-step executor.
        var onLocalStepExecutor: [Bool] { state.withLock { $0.onLocalStepExecutor } }
        func after(_ layer: String, _ action: @escaping @Sendable () async -> Void) { state.withLock { $0.after[layer] = action } }

        var endpoint: BackendEndpoint { inner.endpoint }
        var capabilities: BackendCapabilities { inner.capabilities }
        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) { try await inner.checkHealth(deadline: deadline) }
        func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
            try await inner.describeLayers(layers, deadline: deadline)
        }
        func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
            let local = LocalStepExecutor.shared.isCurrent
            state.withLock { $0.onLocalStepExecutor.append(local) }
            if case .ring(let shares) = batch.shares {
                state.withLock { state in state.shareRows += (0..<shares.rows).map { Array(shares.row($0)) } }
            }
            let result = try await inner.evaluate(batch, outputs: outputs, deadline: deadline)
            let action = state.withLock { state in
                state.layers.append(batch.layer)
                return state.after.removeValue(forKey: batch.layer)
            }
            await action?()
            return result
        }
    }

    /// A pipeline like the gateway's for the MLP, over watchers of its backends.
    private func watchedPipeline(_ gateway: Gateway) throws -> (InferencePipeline, [LayerWatcher]) {
        let original = try #require(gateway.pipelines["mlp"])
        let watched = original.backends.members.map(LayerWatcher.init)
        var pipeline = InferencePipeline(model: original.model, backends: ModelBackends(members: watched, logger: Fixtures.logger),
                                         metrics: GatewayMetrics(), logger: Fixtures.logger)
        pipeline.backendTimeout = .seconds(10)
        pipeline.padding = Padding(buckets: [4])
        return (pipeline, watched)
    }

    @Test func everyRoundIsFreshlySharedAcrossLayersAndRequests() async throws {
        // docs/ARCHITECTURE.md invariant 7: no backend ever sees a share row twice.
        try await withMLPDeployment(servers: 2) { _, _, gateway in
            let (pipeline, watched) = try watchedPipeline(gateway)
            let x = Fixtures.randomRow(count: 12, seed: 3)
            for _ in 0..<3 { _ = try await pipeline.infer([x, x], deadline: .now + .seconds(20)) }
            for backend in watched {
                // 3 requests × 3 layers × 4 rows (2 real, 2 padding), the same input every time.
                #expect(backend.shareRows.count == 3 * 3 * 4)
                #expect(Set(backend.shareRows).count == backend.shareRows.count, "a share row was seen twice")
                #expect(backend.layers == Array(repeating: ["fc1", "fc2", "fc3"], count: 3).flatMap { $0 })
            }
            let all = watched.flatMap(\.shareRows)
            #expect(Set(all).count == all.count, "two backends saw the same share row")
            // Invariant 6: a plan runs on the local-step executor, not the cooperative pool; its
            // rounds, awaited from there, make their calls from it too.
            let calls = watched.flatMap(\.onLocalStepExecutor)
            #expect(!calls.isEmpty && calls.allSatisfy { $0 }, "\(calls.filter { !$0 }.count) of \(calls.count) calls came from elsewhere")
        }
    }

    @Test func aBackendLostBetweenTwoLayersCostsAFailoverNotTheRequest() async throws {
        try await withMLPDeployment(servers: 3) { path, servers, gateway in
            let (pipeline, watched) = try watchedPipeline(gateway)
            // Whichever backend answers fc1 first is stopped right after: its fc2 share must go elsewhere.
            let stopped = Mutex<Int?>(nil)
            for (index, backend) in watched.enumerated() {
                backend.after("fc1") {
                    guard stopped.withLock({ value -> Bool in
                        guard value == nil else { return false }
                        value = index
                        return true
                    }) else { return }
                    await servers.stop(index)
                }
            }
            let x = Fixtures.randomRow(count: 12, seed: 7)
            let answer = try await pipeline.infer([x], deadline: .now + .seconds(30))
            let worst = zip(answer[0], try Self.reference(path, x)).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-6)
            let lost = try #require(stopped.withLock { $0 })
            #expect(!watched[lost].layers.contains("fc3"), "the stopped backend answered no later layer")
            #expect(watched.map { $0.layers.filter { $0 == "fc3" }.count }.reduce(0, +) == 2, "both fc3 shares were answered")
        }
    }

    @Test func aHiddenLayerOutOfRangeIsTheGatewaysErrorNamingTheLayer() async throws {
        // Weights of ±60 fit the fixed point, and an input of 0.5 passes the first round's proof
        // (|W·x| ≤ 12 · 60 · 0.5 · 2^54 < 2^63), but fc1's outputs, some hundreds, leave the
        // range in which fc2's product stays exact.
        try await withMLPDeployment(servers: 2, scale: 60, biasScale: 0.001, inputFractionBits: 30, weightFractionBits: 24) { _, _, gateway in
            try await GatewayRoutesTests.withClient(gateway) { client in
                let x = Array(repeating: 0.5, count: 12)
                let response = try await GatewayRoutesTests.infer(client, #"{"model":"mlp","input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                #expect(body.contains("fixed_point_overflow") && body.contains("'mlp'") && body.contains("layer 'fc2'"), "\(body)")
                let metrics = try await GatewayProbe.metrics(client)
                #expect(GatewayProbe.value(of: #"eis_fixed_point_overflows_total{model="mlp",layer="fc2"}"#, in: metrics) == 1, "\(metrics)")
                // The gateway keeps serving: a small input stays in range and answers.
                let small = try await GatewayRoutesTests.infer(client, #"{"model":"mlp","input":\#(GatewayRoutesTests.jsonArray(Array(repeating: 1e-6, count: 12)))}"#)
                #expect(small.status == .ok)
            }
        }
    }

    @Test func stepsAreCheckedAtLoadNamingWhatIsWrong() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try Self.writeMLP(to: directory)
            var model = ModelConfiguration(name: "mlp", path: path)
            model.steps = ["fc1", "relu", "fc3"]
            let widths = #expect(throws: ModelLoadError.self) { try GatewayModel(configuration: model) }
            #expect(widths?.message.contains("fc3") == true, "\(widths?.message ?? "")")
            model.steps = ["fc1", "swish"]
            let unknown = #expect(throws: ModelLoadError.self) { try GatewayModel(configuration: model) }
            #expect(unknown?.message.contains("swish") == true)
            var configuration = Self.configuration(path, backendURLs: ["http://127.0.0.1:1", "http://127.0.0.1:2"])
            configuration.models[0].layer = "fc1"
            configuration.models[0].arithmetic = .float32
            let problems = configuration.validationProblems()
            #expect(problems.contains { $0.contains("layer and steps exclude each other") })
            #expect(problems.contains { $0.contains("ring64 only") })
        }
    }

    @Test func checkConfigRefusesAOneLayerPluginForAModelOfSteps() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try Self.writeMLP(to: directory)
            func check(kinds: [String]) throws -> (status: Int32, errors: String) {
                var text = "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[[models]]\nname = \"mlp\"\npath = \"\(path)\"\n"
                text += "steps = [\"fc1\", \"relu\", \"fc2\", \"gelu\", \"fc3\"]\n"
                for (index, kind) in kinds.enumerated() {
                    text += "\n  [[models.backends]]\n  name = \"b\(index)\"\n  kind = \"\(kind)\"\n  url = \"http://127.0.0.1:\(9000 + index)\"\n  trust_domain = \"d\(index)\"\n"
                }
                let file = directory.appendingPathComponent("mlp-\(kinds.joined(separator: "-")).conf")
                try text.write(to: file, atomically: true, encoding: .utf8)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: try ProcessPaths().gateway)
                process.arguments = ["--check-config", "--config", file.path]
                let errors = Pipe()
                process.standardError = errors
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
            let native = try check(kinds: ["eis", "eis"])
            #expect(native.status == 0, "\(native.errors)")
            let mixed = try check(kinds: ["eis", "kserve-v2"])
            #expect(mixed.status == 1)
            #expect(mixed.errors.contains("backend 'b1': kind 'kserve-v2' serves one layer per endpoint; model 'mlp' has 3 layers"), "\(mixed.errors)")
        }
    }
}
