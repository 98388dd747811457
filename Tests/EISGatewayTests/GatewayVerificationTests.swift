import EISCore
@testable import EISGateway
import EISTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// Verification of every partial (issue 16, docs/VERIFICATION.md): a backend that passes the
/// digest check and then answers wrong partials over real HTTP is caught on every lie, and no
/// wrong answer reaches a client: it gets the exact answer through failover, or a 5xx.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct GatewayVerificationTests {
    /// A lying backend (backend-0) and `good` in-process share servers, k = 2, every layer
    /// verified; ejections last 1 ms, so the liar is readmitted at once and keeps being tried.
    static func withLyingDeployment(
        _ liar: ScriptedBackend, good: Int, verify: VerificationMode = .freivalds, log: RecordingLogHandler.Store = .init(),
        _ body: @Sendable @escaping (Gateway, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await withScriptedBackends([liar]) { liarURLs in
            try await withShareServers(Array(repeating: ShareServerSpec(), count: good)) { servers in
                var configuration = Fixtures.gatewayConfiguration(backendURLs: liarURLs + servers.urls)
                configuration.models[0].verify = verify
                configuration.outlier.baseEjection = .milliseconds(1)
                configuration.outlier.maxEjection = .milliseconds(1)
                try await withGateway(configuration, logger: RecordingLogHandler.logger(log, level: .warning)) { gateway in
                    try await GatewayRoutesTests.withClient(gateway) { client in try await body(gateway, client) }
                }
            }
        }
    }

    @Test(.enabled(if: HeavyTests.enabled, "a thousand lies of each kind: EIS_HEAVY_TESTS=1"), arguments: PartialLie.allCases)
    func everyLieIsCaughtAndNoWrongAnswerReachesTheClient(_ lie: PartialLie) async throws {
        let liar = try ScriptedBackend(behaviour: .honest, lie: lie)
        let log = RecordingLogHandler.Store()
        try await Self.withLyingDeployment(liar, good: 2, log: log) { gateway, client in
            #expect(try GatewayProbe.backend("backend-0", in: try await GatewayProbe.health(client)).status == "verified")
            // Until the liar has told 1000 lies (bounded: most requests reach it).
            let counts = Counts()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var index = 0
                        while liar.liesTold < 1010 && counts.requests.add(1, ordering: .relaxed).newValue <= 8000 {
                            let x = Fixtures.randomRow(seed: UInt64(worker * 100_000 + index))
                            index += 1
                            let response = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                            let answer = try? GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, response)
                            let exact = try GatewayProbe.exactAnswer(gateway, x)
                            if response.status != .ok {
                                // A 5xx (a request timed out on a loaded machine) is an error, never a wrong answer.
                                counts.errors.add(1, ordering: .relaxed)
                            } else if answer?.output != exact {
                                counts.wrongAnswers.add(1, ordering: .relaxed)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let lies = liar.liesTold
            #expect(lies >= 1000, "the liar was asked only \(lies) times in \(counts.requests.load(ordering: .relaxed)) requests")
            #expect(counts.wrongAnswers.load(ordering: .relaxed) == 0, "no client got a wrong answer")
            let metrics = try await GatewayProbe.metrics(client)
            let caught = GatewayProbe.value(of: #"eis_verification_failures_total{model="demo",layer="fc",backend="backend-0"}"#, in: metrics) ?? 0
            // A lie whose call the request's own deadline cut short was never read, so never at risk;
            // every lie the gateway read was caught.
            let cut = GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-0",outcome="timeout"}"#, in: metrics).map(Int.init) ?? 0
            #expect(Int(caught) <= lies && Int(caught) + cut >= lies, "caught \(Int(caught)) of \(lies) lies, \(cut) cut short")
            #expect(counts.errors.load(ordering: .relaxed) * 10 <= counts.requests.load(ordering: .relaxed), "at most 10 % errors, from a loaded machine")
            #expect(GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-0",outcome="wrong_result"}"#, in: metrics).map(Int.init) == Int(caught))
            // The series exists at zero from start; no call of the liar ever counted as ok.
            #expect((GatewayProbe.value(of: #"eis_backend_requests_total{backend="backend-0",outcome="ok"}"#, in: metrics) ?? 0) == 0)
            #expect((GatewayProbe.value(of: #"eis_failovers_total{model="demo",reason="wrong_result"}"#, in: metrics) ?? 0) >= 1)
            #expect((GatewayProbe.value(of: #"eis_ejections_total{backend="backend-0"}"#, in: metrics) ?? 0) >= 1)
        }
        // One line per lie, naming the backend and the layer; nothing else about it.
        let lines = log.all.filter { $0.contains("backend returned a wrong partial") }
        #expect(lines.count <= liar.liesTold && lines.count >= 1000)
        #expect(lines.allSatisfy { $0.contains("backend=backend-0") && $0.contains("layer=fc") })
        #expect(!log.text.contains("backend call failed"))
    }

    @Test func withoutAnHonestSpareTheClientGetsA503NeverAWrongAnswer() async throws {
        let liar = try ScriptedBackend(behaviour: .honest, lie: .addsTwoToThe63InTwoElements)
        try await Self.withLyingDeployment(liar, good: 1) { _, client in
            for seed in 0..<30 {
                let x = Fixtures.randomRow(seed: UInt64(seed))
                let response = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                #expect(response.status == .serviceUnavailable, "\(String(buffer: response.body))")
            }
            #expect(liar.liesTold >= 1)
        }
    }

    @Test func withVerificationOffTheSameLiesReachTheClient() async throws {
        // The control: what the check stops does happen without it.
        let liar = try ScriptedBackend(behaviour: .honest, lie: .offByOne)
        try await Self.withLyingDeployment(liar, good: 2, verify: .off) { gateway, client in
            var wrong = 0
            for seed in 0..<20 {
                let x = Fixtures.randomRow(seed: UInt64(seed))
                let response = try await GatewayRoutesTests.infer(client, #"{"input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                let answer = try GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, response)
                if answer.output != (try GatewayProbe.exactAnswer(gateway, x)) { wrong += 1 }
            }
            #expect(wrong >= 1 && wrong == liar.liesTold)
        }
    }

    @Test func aLieOnAHiddenLayerOfAPlanModelIsCaughtThere() async throws {
        try await Fixtures.withTemporaryDirectory { directory in
            let path = try SequentialModelTests.writeMLP(to: directory)
            let liar = try ScriptedBackend(behaviour: .honest, lie: .flipsOneBit, lyingOn: ["fc2"], modelPath: path, modelName: "mlp")
            try await withScriptedBackends([liar]) { liarURLs in
                try await withShareServers(Array(repeating: ShareServerSpec(modelPath: path, modelName: "mlp"), count: 2)) { servers in
                    var configuration = SequentialModelTests.configuration(path, backendURLs: liarURLs + servers.urls)
                    configuration.models[0].verify = .freivalds
                    configuration.outlier.baseEjection = .milliseconds(1)
                    configuration.outlier.maxEjection = .milliseconds(1)
                    try await withGateway(configuration) { gateway in
                        #expect(gateway.pipelines["mlp"]?.model.verifiedLayers == ["fc1", "fc2", "fc3"])
                        try await GatewayRoutesTests.withClient(gateway) { client in
                            for seed in 0..<40 {
                                let x = Fixtures.randomRow(count: 12, seed: UInt64(seed))
                                let response = try await GatewayRoutesTests.infer(client, #"{"model":"mlp","input":\#(GatewayRoutesTests.jsonArray(x))}"#)
                                #expect(response.status == .ok, "\(String(buffer: response.body))")
                                let answer = try #require(try GatewayRoutesTests.decode(GatewayRoutesTests.Answer.self, response).output)
                                let worst = zip(answer, try SequentialModelTests.reference(path, x)).map { abs($0 - $1) }.max() ?? .infinity
                                #expect(worst < 1e-6, "max |Δ| = \(worst)")
                            }
                            let metrics = try await GatewayProbe.metrics(client)
                            let caught = GatewayProbe.value(of: #"eis_verification_failures_total{model="mlp",layer="fc2",backend="backend-0"}"#, in: metrics) ?? 0
                            #expect(liar.liesTold >= 1 && Int(caught) == liar.liesTold)
                            #expect(GatewayProbe.value(of: #"eis_verification_failures_total{model="mlp",layer="fc1",backend="backend-0"}"#, in: metrics) == nil)
                        }
                    }
                }
            }
        }
    }

    @Test func autoChecksOnlyLayersWhoseCheckCostsAtMostTenPercent() throws {
        let demo = try Fixtures.demoLayer()
        let shared = try SharedLayer(demo, inputFractionBits: 22, weightFractionBits: 26)
        #expect(GatewayModel(name: "demo", layers: [shared], shares: 2).verifiedLayers.isEmpty)
        #expect(GatewayModel(name: "demo", layers: [shared], shares: 2, verify: .freivalds).verifiedLayers == ["fc"])
        #expect(GatewayModel(name: "demo", layers: [shared], shares: 2, verify: .off).verifiedLayers.isEmpty)
        // MiniLM's shapes: every one costs 13–21 % of its product, so auto leaves them unchecked.
        for (inputs, outputs) in [(384, 1152), (384, 384), (384, 1536), (1536, 384)] {
            #expect(!VerificationMode.auto.checks(inputs: inputs, outputs: outputs, arithmetic: .ring64))
        }
        #expect(VerificationMode.auto.checks(inputs: 1024, outputs: 4096, arithmetic: .ring64))
        #expect(!VerificationMode.freivalds.checks(inputs: 1024, outputs: 4096, arithmetic: .float64))
    }
}

/// Tallies shared by a test's concurrent clients.
private final class Counts: Sendable {
    /// Requests sent.
    let requests = Atomic<Int>(0)
    /// 200 answers whose output was not the exact one.
    let wrongAnswers = Atomic<Int>(0)
    /// Answers that were not 200.
    let errors = Atomic<Int>(0)
}
