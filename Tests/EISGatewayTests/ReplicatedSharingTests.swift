import CurlTransport
import EISBackend
import EISCore
@testable import EISGateway
import EISTestSupport
import EISLaunch
import Foundation
import Synchronization
import Testing

/// Replicated 2-of-3 sharing (issue 16, item 2): three shares, two per server, any two servers
/// answer a round, no server ever holds all three shares of one sharing.
@Suite(.timeLimit(.minutes(10)))
struct ReplicatedSharingTests {
    typealias Scripted = FailoverPropertyTests.ScriptedBackend

    /// The demo model shared 2-of-3 replicated over `backends`.
    static func pipeline(_ backends: [Scripted], verify: VerificationMode, metrics: GatewayMetrics = GatewayMetrics()) throws -> InferencePipeline {
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        configuration.shares = 3
        configuration.sharing = .replicated2of3
        configuration.verify = verify
        var pipeline = InferencePipeline(
            model: try GatewayModel(configuration: configuration),
            backends: ModelBackends(members: backends, policy: .init(consecutiveFailuresToEject: 2, baseEjection: .milliseconds(20)), logger: Fixtures.logger),
            metrics: metrics, logger: Fixtures.logger)
        pipeline.backendTimeout = .milliseconds(40)
        return pipeline
    }

    static func weights() throws -> EncodedWeights {
        try EncodedWeights(try Fixtures.demoLayer().weight, fractionBits: Defaults.weightFractionBits)
    }

    @Test func eachServerGetsTwoSharesAndAnyTwoAnswerExactly() async throws {
        let weights = try Self.weights()
        let backends = (0..<3).map { Scripted(name: "b\($0)", domain: "d\($0)", weights: weights, script: [], wrongDigest: false) }
        let pipeline = try Self.pipeline(backends, verify: .freivalds)
        let layer = try Fixtures.demoLayer()
        let x = Fixtures.randomRow(seed: 1)
        let y = try await pipeline.infer([x], deadline: .now + .seconds(5))
        #expect(zip(y[0], Fixtures.reference(layer, x)).allSatisfy { abs($0 - $1) < 1e-6 })
        // Each server got one call of two stacked share rows; together they hold three shares of x, each twice.
        #expect(backends.allSatisfy { $0.received.count == 1 && $0.received[0].count == 2 * 256 })
        let blocks = backends.map { [Array($0.received[0][..<256]), Array($0.received[0][256...])] }
        for server in 0..<3 { #expect(blocks[server][1] == blocks[(server + 1) % 3][0], "server \(server)'s second share is the next server's first") }
        let encoded = try pipeline.encode([x]).elements
        #expect((0..<256).allSatisfy { i in blocks.reduce(Int64(0)) { $0 &+ $1[0][i] } == encoded[i] })
    }

    /// Random failure schedules: whatever fails, no trust domain ever holds three blocks that add
    /// up to an input (all shares of one sharing), and every answer given is exact.
    @Test(arguments: [UInt64(11), 12, 13, 14, 15, 16])
    func noServerEverHoldsAllSharesOfASharing(seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        let weights = try Self.weights()
        let domains = ["a", "b", "c", "d", "d"]
        let backends = domains.enumerated().map { index, domain in
            Scripted(name: "b\(index)", domain: domain, weights: weights,
                     script: (0..<40).map { _ in
                         Int.random(in: 0..<3, using: &generator) == 0 ? FailoverPropertyTests.Behaviour.allCases.randomElement(using: &generator)! : .answer
                     },
                     wrongDigest: false)
        }
        let pipeline = try Self.pipeline(backends, verify: seed % 2 == 0 ? .freivalds : .off)
        let layer = try Fixtures.demoLayer()
        var inputs = [[Int64]]()
        var answered = 0
        for request in 0..<25 {
            let x = Fixtures.randomRow(seed: seed * 1000 + UInt64(request))
            inputs.append(try pipeline.encode([x]).elements)
            do {
                let y = try await pipeline.infer([x], deadline: .now + .seconds(2))
                answered += 1
                #expect(zip(y[0], Fixtures.reference(layer, x)).allSatisfy { abs($0 - $1) < 1e-6 })
            } catch {
                #expect(error.code == "backends_unavailable" || error.code == "deadline_exceeded", "\(error)")
            }
        }
        #expect(answered > 0)
        for domain in Set(domains) {
            let held = backends.filter { $0.endpoint.trustDomain == domain }.flatMap(\.received).flatMap { [Array($0[..<256]), Array($0[256...])] }
            for (i, a) in held.enumerated() {
                for (j, b) in held.enumerated() where j > i {
                    for c in held[(j + 1)...] {
                        let leaked = inputs.contains { x in (0..<256).allSatisfy { a[$0] &+ b[$0] &+ c[$0] == x[$0] } }
                        #expect(!leaked, "trust domain \(domain) held all three shares of one sharing")
                    }
                }
            }
        }
    }

    @Test func onAnUnverifiedLayerAWrongCopyIsFoundByItsReplicaAndNeverReturned() async throws {
        let weights = try Self.weights()
        let liar = LyingBackend(name: "b0", domain: "d0", weights: weights)
        let honest = (1..<3).map { Scripted(name: "b\($0)", domain: "d\($0)", weights: weights, script: [], wrongDigest: false) }
        let metrics = GatewayMetrics()
        let members: [any Backend] = [liar] + honest
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        configuration.shares = 3
        configuration.sharing = .replicated2of3
        configuration.verify = .off
        var pipeline = InferencePipeline(model: try GatewayModel(configuration: configuration),
                                         backends: ModelBackends(members: members, policy: .init(baseEjection: .milliseconds(1), maxEjection: .milliseconds(1)),
                                                                 logger: Fixtures.logger),
                                         metrics: metrics, logger: Fixtures.logger)
        pipeline.backendTimeout = .seconds(2)
        let layer = try Fixtures.demoLayer()
        for seed in 0..<10 {
            let x = Fixtures.randomRow(seed: UInt64(500 + seed))
            let y = try await pipeline.infer([x], deadline: .now + .seconds(5))
            #expect(zip(y[0], Fixtures.reference(layer, x)).allSatisfy { abs($0 - $1) < 1e-6 })
            // The liar is ejected for 1 ms after each caught copy; let it back in.
            try await Task.sleep(for: .milliseconds(3))
        }
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains(#"eis_verification_failures_total{model="demo",layer="fc",backend="b0"}"#), "\(text)")
        #expect(text.contains(#"eis_verification_failures_total{model="demo",layer="fc",backend="b0"} 10"#), "every request caught it")
        #expect(!text.contains(#"eis_verification_failures_total{model="demo",layer="fc",backend="b1"}"#))
        #expect(!text.contains(#"eis_verification_failures_total{model="demo",layer="fc",backend="b2"}"#))
    }

    /// Real `eis-server` processes: one of three is killed with SIGKILL under load, and every
    /// request still answers 200, with no second round trip to wait for.
    @Test(.enabled(if: HeavyTests.enabled, "kill -9 under load: EIS_HEAVY_TESTS=1"))
    func killingOneOfThreeServersUnderLoadFailsNoRequest() async throws {
        try await withProcessDeployment(servers: 3, modelKeys: "sharing = \"replicated-2of3\"\nverify = \"freivalds\"\n") { deployment in
            let victim = deployment.servers[1]
            let (ok, failed) = try await deployment.underLoad(workers: 4, for: .seconds(4)) {
                try await Task.sleep(for: .seconds(1))
                await victim.kill()
            }
            #expect(failed.isEmpty, "statuses other than 200: \(failed.prefix(20))")
            #expect(ok > 0)
        }
    }

    /// A stalled server (SIGSTOP: connections accepted, nothing answered) costs a replicated
    /// round nothing, where an additive one waits for the backend timeout before failing over.
    @Test(.enabled(if: HeavyTests.enabled, "SIGSTOP under load: EIS_HEAVY_TESTS=1"), arguments: [("replicated-2of3", true), ("additive", false)])
    func aStalledServerCostsAReplicatedRoundNoWait(sharing: String, replicated: Bool) async throws {
        let keys = "sharing = \"\(sharing)\"\nverify = \"freivalds\"\n"
        try await withProcessDeployment(servers: 3, gatewayKeys: "backend_timeout_ms = 8000\nrequest_timeout_ms = 20000\nbatching = false", modelKeys: keys) { deployment in
            #expect(try await deployment.infer().status == 200)
            deployment.servers[0].signal(SIGSTOP)
            var slowest = Duration.zero
            var statuses = [Int]()
            for _ in 0..<12 {
                let start = ContinuousClock.now
                statuses.append(try await deployment.infer().status)
                slowest = max(slowest, ContinuousClock.now - start)
            }
            deployment.servers[0].signal(SIGCONT)
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            if replicated {
                // Well below the 8 s backend timeout an additive round waits (generous for a loaded machine).
                #expect(slowest < .seconds(6), "slowest request took \(slowest)")
            } else {
                // The control: the additive round placed on the stalled server waited for its timeout.
                #expect(slowest >= .seconds(8), "slowest request took \(slowest)")
            }
        }
    }
}

/// A backend that answers the right partial for its first share rows and a wrong one (one
/// element plus one) for the rest: only the replica of its second share can tell.
final class LyingBackend: Backend, Sendable {
    let endpoint: BackendEndpoint
    let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 1024)
    private let weights: EncodedWeights

    init(name: String, domain: String, weights: EncodedWeights) {
        endpoint = BackendEndpoint(name: name, kind: "lying", url: "memory://\(name)", trustDomain: domain, remoteModel: "demo")
        self.weights = weights
    }

    func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}

    func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        layers.map { _ in RemoteLayer(inputs: weights.inputs, outputs: weights.outputs, weightFractionBits: weights.fractionBits, digest: weights.digest) }
    }

    func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .ring(let shares) = batch.shares else { throw .unsupported("\(endpoint.name): ring64 only") }
        var partial = RingKernels.multiply(shares, byTransposeOf: weights.packed)
        partial.elements[partial.elements.count - 1] &+= 1
        return .ring(partial)
    }
}
