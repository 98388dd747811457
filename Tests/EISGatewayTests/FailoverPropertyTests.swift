import EISBackend
import EISCore
import Synchronization
import Testing

@testable import EISGateway
import EISTestSupport

/// Failover under random fault schedules, with in-memory backends that compute the real ring
/// product and remember every share they were sent. After each schedule the test proves the
/// placement rule for every sharing ever sent: no trust domain ever held two shares of one
/// sharing (found by looking for shares that add up to an input).
struct FailoverPropertyTests {
    /// What a scripted backend does on one call.
    enum Behaviour: CaseIterable, Sendable { case answer, fail, hang, slow, garbage }

    /// A backend that follows a script and records the shares it receives.
    final class ScriptedBackend: Backend, Sendable {
        let endpoint: BackendEndpoint
        let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 1024)
        private let weights: EncodedWeights
        private let wrongDigest: Bool
        // Guarded by the Mutex: the script's position and the shares seen.
        private let state: Mutex<(script: [Behaviour], received: [[Int64]])>

        init(name: String, domain: String, weights: EncodedWeights, script: [Behaviour], wrongDigest: Bool) {
            endpoint = BackendEndpoint(name: name, kind: "scripted", url: "memory://\(name)", trustDomain: domain,
                                       remoteModel: "demo")
            self.weights = weights
            self.wrongDigest = wrongDigest
            state = Mutex((script: script, received: []))
        }

        var received: [[Int64]] { state.withLock { $0.received } }

        func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}

        func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
            layers.map { _ in
                RemoteLayer(inputs: weights.matrix.columns, outputs: weights.matrix.rows, weightFractionBits: weights.fractionBits,
                            digest: wrongDigest ? String(repeating: "0", count: 64) : weights.digest)
            }
        }

        func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
            guard case .ring(let shares) = batch.shares else { throw .unsupported("\(endpoint.name): ring64 only") }
            let behaviour: Behaviour = state.withLock { state in
                state.received.append(shares.elements)
                return state.script.isEmpty ? .answer : state.script.removeFirst()
            }
            switch behaviour {
            case .answer: break
            case .fail: throw .unreachable("\(endpoint.name): scripted failure")
            case .garbage: throw .badResponse("\(endpoint.name): scripted garbage")
            case .hang:
                do { try await Task.sleep(until: deadline) } catch { throw .cancelled("\(endpoint.name)") }
                throw .timeout("\(endpoint.name): scripted hang")
            case .slow:
                do { try await Task.sleep(for: .milliseconds(5)) } catch { throw .cancelled("\(endpoint.name)") }
            }
            return .ring(RingKernels.multiply(shares, byTransposeOf: weights.matrix))
        }
    }

    @Test(arguments: [(2, UInt64(1)), (2, 2), (2, 3), (3, 4), (3, 5), (3, 6)])
    func everySharingEverSentKeepsThePlacementRule(shares k: Int, seed: UInt64) async throws {
        var generator = SplitMix64(seed: seed)
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        configuration.shares = k
        let model = try GatewayModel(configuration: configuration)
        let domains = k == 2 ? ["a", "a", "b", "c"] : ["a", "a", "b", "c", "d", "d"]
        let backends = domains.enumerated().map { index, domain in
            ScriptedBackend(
                name: "b\(index)", domain: domain, weights: model.layers[0].weights,
                script: (0..<40).map { _ in
                    Int.random(in: 0..<3, using: &generator) == 0 ? Behaviour.allCases.randomElement(using: &generator)! : .answer
                },
                wrongDigest: index == 3 && seed % 2 == 0)
        }
        var pipeline = InferencePipeline(
            model: model, backends: ModelBackends(members: backends, policy: .init(consecutiveFailuresToEject: 2, baseEjection: .milliseconds(20)), logger: Fixtures.logger),
            metrics: GatewayMetrics(), logger: Fixtures.logger)
        pipeline.backendTimeout = .milliseconds(30)
        // Two thirds of the schedules also hedge: hedges must obey the same placement rule.
        pipeline.hedging = seed % 3 != 0
        let layer = try Fixtures.demoLayer()

        var inputs = [[Int64]]()
        var answered = 0
        for request in 0..<25 {
            let x = Fixtures.randomRow(seed: seed * 1000 + UInt64(request))
            inputs.append(try pipeline.encode([x]).elements)
            do {
                let y = try await pipeline.infer([x], deadline: .now + .seconds(2))
                answered += 1
                let expected = Fixtures.reference(layer, x)
                #expect(zip(y[0], expected).allSatisfy { abs($0 - $1) < 1e-6 }, "a failed-over answer is still exact")
            } catch {
                #expect(error.code == "backends_unavailable" || error.code == "deadline_exceeded", "\(error)")
            }
        }
        #expect(answered > 0)

        // Look for two shares of one sharing inside one trust domain.
        let all = backends.flatMap(\.received)
        for domain in Set(domains) {
            let held = backends.filter { $0.endpoint.trustDomain == domain }.flatMap(\.received)
            for (i, a) in held.enumerated() {
                for b in held[(i + 1)...] where a != b {
                    for x in inputs {
                        // Evaluated outside #expect so a failure does not print every share.
                        let leaked = k == 2 ? sumsTo(x, [a, b]) : all.contains { c in c != a && c != b && sumsTo(x, [a, b, c]) }
                        #expect(!leaked, "trust domain \(domain) held two shares of one sharing")
                    }
                }
            }
        }
    }

    /// Whether the parts add up to `x` mod 2^64 (first element first: a random match is 2^-64).
    private func sumsTo(_ x: [Int64], _ parts: [[Int64]]) -> Bool {
        guard parts.reduce(Int64(0), { $0 &+ $1[0] }) == x[0] else { return false }
        return x.indices.allSatisfy { i in parts.reduce(Int64(0)) { $0 &+ $1[i] } == x[i] }
    }

    @Test func aCallSlowerThanItsBackendsP95IsHedgedToASpareAndTheAnswerStaysExact() async throws {
        var configuration = ModelConfiguration(name: "demo", path: Fixtures.demoModelPath)
        configuration.layer = "fc"
        let model = try GatewayModel(configuration: configuration)
        // b0 answers 30 calls at once, then stalls for 2 s once; b1 and b2 always answer at once.
        let stallingScript = Array(repeating: Behaviour.answer, count: 30) + [.hang]
        let backends = [
            ScriptedBackend(name: "b0", domain: "a", weights: model.layers[0].weights, script: stallingScript, wrongDigest: false),
            ScriptedBackend(name: "b1", domain: "b", weights: model.layers[0].weights, script: [], wrongDigest: false),
            ScriptedBackend(name: "b2", domain: "c", weights: model.layers[0].weights, script: [], wrongDigest: false),
        ]
        let metrics = GatewayMetrics()
        var pipeline = InferencePipeline(
            model: model, backends: ModelBackends(members: backends, weights: [100, 1, 1], logger: Fixtures.logger),
            metrics: metrics, logger: Fixtures.logger)
        pipeline.backendTimeout = .seconds(2)
        pipeline.hedging = true
        let layer = try Fixtures.demoLayer()
        // Until b0 has taken its 31st share (the stalling one) and a few more requests after it.
        var request: UInt64 = 0
        var afterStall = 0
        while afterStall < 5 && request < 400 {
            let x = Fixtures.randomRow(seed: 77_000 + request)
            let y = try await pipeline.infer([x], deadline: .now + .seconds(5))
            #expect(zip(y[0], Fixtures.reference(layer, x)).allSatisfy { abs($0 - $1) < 1e-6 })
            if backends[0].received.count > 30 { afterStall += 1 }
            request += 1
        }
        // The hedge is the same share, sent to a spare.
        let stalled = try #require(backends[0].received.count > 30 ? backends[0].received[30] : nil)
        #expect(backends[1...].contains { $0.received.contains(stalled) }, "the stalled share went to a spare too")
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("eis_hedges_total"), "the stalled call was hedged")
    }
}
