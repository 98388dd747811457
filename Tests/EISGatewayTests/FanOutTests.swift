import EISBackend
import EISCore
import Synchronization
import Testing

@testable import EISGateway

/// The fan-out sends every share of a sharing in its own task through `Backend.evaluate`, the
/// one send path, verifies each backend once on first use, and fails a share over to a spare as
/// soon as its call fails. Real share servers on 127.0.0.1, real `eis` plugins, wrapped only to
/// count the calls each backend got.
@Suite(.timeLimit(.minutes(1)))
struct FanOutTests {
    /// Passes everything to the real plugin and counts `describeLayers` and `evaluate` calls.
    final class CountingBackend: Backend {
        let inner: any Backend
        private let counts = Mutex((evaluations: 0, descriptions: 0, layers: [String](), firstEvaluation: ContinuousClock.Instant?.none))

        init(_ inner: any Backend) { self.inner = inner }

        var evaluations: Int { counts.withLock { $0.evaluations } }
        var descriptions: Int { counts.withLock { $0.descriptions } }
        /// The layer named by every batch evaluated, in order.
        var layers: [String] { counts.withLock { $0.layers } }
        /// When `evaluate` was first called.
        var firstEvaluation: ContinuousClock.Instant? { counts.withLock { $0.firstEvaluation } }

        var endpoint: BackendEndpoint { inner.endpoint }
        var capabilities: BackendCapabilities { inner.capabilities }
        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {
            try await inner.checkHealth(deadline: deadline)
        }
        func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
            counts.withLock { $0.descriptions += 1 }
            return try await inner.describeLayers(layers, deadline: deadline)
        }
        func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
            counts.withLock { counts in
                counts.evaluations += 1
                counts.layers.append(batch.layer)
                counts.firstEvaluation = counts.firstEvaluation ?? .now
            }
            return try await inner.evaluate(batch, outputs: outputs, deadline: deadline)
        }
    }

    /// Runs `body` with `count` demo servers, a pipeline over counting wrappers of the gateway's
    /// own `eis` backends (each in its own trust domain), and the demo layer.
    private func withCountedPipeline(
        servers count: Int, verify: Bool, hedging: Bool = false,
        _ body: @Sendable (InferencePipeline, [CountingBackend], InProcessServers, LinearLayer) async throws -> Void
    ) async throws {
        try await withDemoDeployment(servers: count, shares: 2, verify: false) { servers, gateway in
            let (pipeline, counted) = try await countedPipeline(of: gateway, verify: verify, hedging: hedging)
            try await body(pipeline, counted, servers, try Fixtures.demoLayer())
        }
    }

    /// A pipeline like the gateway's demo pipeline, over counting wrappers of its backends.
    private func countedPipeline(of gateway: Gateway, verify: Bool, hedging: Bool = false) async throws -> (InferencePipeline, [CountingBackend]) {
        let original = try #require(gateway.pipelines["demo"])
        let counted = original.backends.members.map(CountingBackend.init)
        let backends = ModelBackends(members: counted, logger: Fixtures.logger)
        if verify {
            for index in counted.indices {
                try await backends.ensureVerified(index, against: original.model, deadline: .now + .seconds(5), logger: Fixtures.logger)
            }
        }
        var pipeline = InferencePipeline(model: original.model, backends: backends, metrics: GatewayMetrics(), logger: Fixtures.logger)
        pipeline.hedging = hedging
        // Generous: the whole test suite runs in parallel on two cores.
        pipeline.backendTimeout = .seconds(10)
        return (pipeline, counted)
    }

    /// Sends `count` random rows one request at a time and checks every answer against the reference.
    private func expectExactAnswers(_ pipeline: InferencePipeline, layer: LinearLayer, count: Int, seed: UInt64) async throws {
        for request in 0..<count {
            let x = Fixtures.randomRow(seed: seed + UInt64(request))
            let y = try await pipeline.infer([x], deadline: .now + .seconds(15))
            let expected = Fixtures.reference(layer, x)
            #expect(zip(y[0], expected).allSatisfy { abs($0 - $1) < 1e-6 })
        }
    }

    @Test func everyShareIsOneEvaluateCallNamingTheLayer() async throws {
        try await withCountedPipeline(servers: 2, verify: true) { pipeline, counted, _, layer in
            try await expectExactAnswers(pipeline, layer: layer, count: 10, seed: 100)
            #expect(counted.map(\.evaluations) == [10, 10])
            #expect(counted.allSatisfy { $0.layers == [String](repeating: "fc", count: 10) })
            // Every placed call was given back to the pool.
            #expect(pipeline.backends.poolSnapshot.map(\.outstanding) == [0, 0])
        }
    }

    @Test func anUnverifiedBackendIsDescribedOnceOnFirstUse() async throws {
        try await withCountedPipeline(servers: 2, verify: false) { pipeline, counted, _, layer in
            try await expectExactAnswers(pipeline, layer: layer, count: 1, seed: 200)
            #expect(counted.map(\.descriptions) == [1, 1])
            #expect(pipeline.backends.snapshot == [.verified, .verified])
            try await expectExactAnswers(pipeline, layer: layer, count: 3, seed: 300)
            #expect(counted.map(\.descriptions) == [1, 1])
            #expect(counted.map(\.evaluations) == [4, 4])
        }
    }

    @Test func withHedgingTheAnswersStayExact() async throws {
        try await withCountedPipeline(servers: 2, verify: true, hedging: true) { pipeline, counted, _, layer in
            try await expectExactAnswers(pipeline, layer: layer, count: 4, seed: 400)
            // Two backends in two domains: a hedge has no spare to go to.
            #expect(counted.map(\.evaluations) == [4, 4])
        }
    }

    @Test func aShareWhoseCallFailsGoesToASpareAndTheAnswerStaysExact() async throws {
        try await withCountedPipeline(servers: 3, verify: true) { pipeline, counted, servers, layer in
            await servers.stop(0)
            // Two of three backends are placed per request, so the stopped one is placed within a
            // few requests; its share then fails over to a running backend.
            try await expectExactAnswers(pipeline, layer: layer, count: 12, seed: 500)
            #expect(counted[0].evaluations >= 1)
            // Both running backends answered both shares of all 12 requests between them.
            #expect(counted[1].evaluations + counted[2].evaluations == 24)
            #expect(pipeline.backends.poolSnapshot.map(\.outstanding) == [0, 0, 0])
            #expect(pipeline.backends.lastFailures[0] != nil)
        }
    }

    @Test func aShareThatFailsAtOnceGoesToASpareWithoutWaitingForASlowerShare() async throws {
        // Backend 2 answers correctly but one byte every 40 ms (about 4 s).
        let slow = try ScriptedBackend(behaviour: .trickle)
        try await withScriptedBackends([slow]) { slowURLs in
            try await withShareServers([ShareServerSpec(), ShareServerSpec()]) { servers in
                let configuration = Fixtures.gatewayConfiguration(backendURLs: servers.urls + slowURLs)
                try await withGateway(configuration, verify: false) { gateway in
                    let (pipeline, counted) = try await countedPipeline(of: gateway, verify: true)
                    // Backend 1 now refuses connections. A fresh pool breaks ties by rotation, so
                    // the first placement is backends 1 and 2, and backend 0 is the spare.
                    await servers.stop(1)
                    let x = Fixtures.randomRow(seed: 600)
                    let start = ContinuousClock.now
                    let y = try await pipeline.infer([x], deadline: .now + .seconds(20))
                    let elapsed = ContinuousClock.now - start
                    let expected = Fixtures.reference(try Fixtures.demoLayer(), x)
                    #expect(zip(y[0], expected).allSatisfy { abs($0 - $1) < 1e-6 })
                    #expect(counted.map(\.evaluations) == [1, 1, 1], "backends 1 and 2 were placed; backend 0 took the refused share")
                    // The spare started when backend 1 refused, not when the slow share ended.
                    let spareStarted = try #require(counted[0].firstEvaluation)
                    #expect(spareStarted - start < .seconds(2))
                    #expect(elapsed >= .seconds(3), "the slow share really was slow")
                }
            }
        }
    }

    @Test func aShareNeverFailsOverIntoTheTrustDomainOfTheOtherShare() async throws {
        // docs/ARCHITECTURE.md invariant 1. Backends 0 and 2 share trust domain "x".
        try await withShareServers([ShareServerSpec(), ShareServerSpec(), ShareServerSpec()]) { servers in
            var configuration = Fixtures.gatewayConfiguration(backendURLs: servers.urls)
            for (index, domain) in ["x", "y", "x"].enumerated() { configuration.models[0].backends[index].trustDomain = domain }
            try await withGateway(configuration, verify: false) { gateway in
                let (pipeline, counted) = try await countedPipeline(of: gateway, verify: true)
                // The first placement is backends 1 and 2 (a fresh pool breaks ties by rotation).
                // Backend 1 refuses; backend 0 is idle, but its domain holds backend 2's share.
                await servers.stop(1)
                let error = await #expect(throws: GatewayError.self) {
                    _ = try await pipeline.infer([Fixtures.randomRow(seed: 700)], deadline: .now + .seconds(15))
                }
                #expect(error?.code == "backends_unavailable")
                #expect(counted.map(\.evaluations) == [0, 1, 1], "backends 1 and 2 were placed")
                #expect(counted[0].evaluations == 0, "no share ever reached backend 0")
                #expect(pipeline.backends.poolSnapshot.map(\.outstanding) == [0, 0, 0])
            }
        }
    }
}

