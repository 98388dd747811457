import EISBackend
import EISCore
@testable import EISGateway
import Logging
import Synchronization

/// An in-memory ring64 backend that computes the real product and records the row count of
/// every batch it is sent; tests can make it slow, failing, or hold its calls at a gate until
/// they release them, so that tests about ordering need no timing luck.
final class RecordingBackend: Backend, Sendable {
    private struct State {
        var rows: [Int] = []
        var arrivals: [(at: ContinuousClock.Instant, rows: Int)] = []
        var delay: Duration
        var failing = false
        var held = false
        var nextWaiter = 0
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    let endpoint: BackendEndpoint
    let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: 65_536)
    private let weights: EncodedWeights
    // Guarded by the Mutex: rows seen, and how the next calls behave.
    private let state: Mutex<State>

    init(name: String, domain: String, weights: EncodedWeights, remoteModel: String = "demo", delay: Duration = .zero) {
        endpoint = BackendEndpoint(name: name, kind: "recording", url: "memory://\(name)", trustDomain: domain,
                                   remoteModel: remoteModel)
        self.weights = weights
        state = Mutex(State(delay: delay))
    }

    /// Holds every later call at the gate until `releaseWaiting()` or `open()`.
    func hold() { state.withLock { $0.held = true } }

    /// Lets the calls waiting at the gate now go on; later calls are still held.
    func releaseWaiting() {
        let waiting = state.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Stops holding calls and lets every waiting one go on.
    func open() {
        state.withLock { $0.held = false }
        releaseWaiting()
    }

    /// Waits at the gate while calls are held; returns at once when cancelled.
    private func passGate() async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let held = state.withLock { state in
                    if state.held && !Task.isCancelled { state.waiting[id] = continuation }
                    return state.held && !Task.isCancelled
                }
                if !held { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
    }

    /// The row count of every batch received, in order.
    var rowCounts: [Int] { state.withLock { $0.rows } }

    /// When each batch arrived, with its row count, in order.
    var arrivals: [(at: ContinuousClock.Instant, rows: Int)] { state.withLock { $0.arrivals } }

    /// How long each later call takes.
    func setDelay(_ delay: Duration) { state.withLock { $0.delay = delay } }

    /// Whether later calls fail.
    func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}

    func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        layers.map { _ in
            RemoteLayer(inputs: weights.matrix.columns, outputs: weights.matrix.rows, weightFractionBits: weights.fractionBits, digest: weights.digest)
        }
    }

    func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .ring(let shares) = batch.shares else { throw .unsupported("\(endpoint.name): ring64 only") }
        let (delay, failing, held) = state.withLock { state in
            state.rows.append(shares.rows)
            state.arrivals.append((ContinuousClock.now, shares.rows))
            return (state.delay, state.failing, state.held)
        }
        if failing { throw .unreachable("\(endpoint.name): failing on purpose") }
        if held {
            // At the gate until released, the deadline, or cancellation.
            let released = await withTaskGroup(of: Bool.self) { group in
                group.addTask { await self.passGate(); return !Task.isCancelled }
                group.addTask {
                    try? await Task.sleep(until: deadline)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if Task.isCancelled { throw .cancelled(endpoint.name) }
            if !released { throw .timeout("\(endpoint.name): deadline at the gate") }
        }
        if delay > .zero {
            let until = min(ContinuousClock.now + delay, deadline)
            do { try await Task.sleep(until: until) } catch { throw .cancelled(endpoint.name) }
            if until == deadline { throw .timeout("\(endpoint.name): deadline") }
        }
        return .ring(RingKernels.multiply(shares, byTransposeOf: weights.matrix))
    }
}

/// A demo-model pipeline over two recording backends in distinct trust domains.
struct RecordingDeployment {
    let model: GatewayModel
    let backends: [RecordingBackend]
    let metrics: GatewayMetrics
    let pipeline: InferencePipeline

    init(buckets: [Int] = [1, 8, 32, 128], delay: Duration = .zero, modelName: String = "demo", modelPath: String = Fixtures.demoModelPath) throws {
        var configuration = ModelConfiguration(name: modelName, path: modelPath)
        configuration.layer = "fc"
        model = try GatewayModel(configuration: configuration)
        backends = [
            RecordingBackend(name: "\(modelName)-a", domain: "a", weights: model.layers[0].weights, remoteModel: modelName, delay: delay),
            RecordingBackend(name: "\(modelName)-b", domain: "b", weights: model.layers[0].weights, remoteModel: modelName, delay: delay),
        ]
        metrics = GatewayMetrics()
        var pipeline = InferencePipeline(model: model, backends: ModelBackends(members: backends, logger: Fixtures.logger),
                                         metrics: metrics, logger: Fixtures.logger)
        pipeline.backendTimeout = .seconds(5)
        pipeline.padding = Padding(buckets: buckets)
        self.pipeline = pipeline
    }

    /// Holds both backends' later calls at their gates.
    func hold() { for backend in backends { backend.hold() } }

    /// Lets the calls waiting at both gates now go on.
    func releaseWaiting() { for backend in backends { backend.releaseWaiting() } }

    /// Stops holding calls at both backends.
    func open() { for backend in backends { backend.open() } }

    /// A batcher over this pipeline.
    func batcher(maxBatch: Int = 64, maxDelay: Duration = .milliseconds(2)) -> Batcher {
        Batcher(pipeline: pipeline, maxBatch: maxBatch, maxDelay: maxDelay, metrics: metrics)
    }

    /// Rows encoded as the gateway's route does before batching.
    func prepared(_ rows: [[Double]]) throws -> ShareMatrix {
        try pipeline.prepare(rows)
    }
}
