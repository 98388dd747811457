import EISBackend
import EISCore
@testable import EISGateway
import Synchronization

/// An in-memory float backend that records every share it is sent, exactly as a float-only
/// server would hold it (rounded to Float for float32, as the plugins send it), and answers
/// with the real product. It is the curious server of the leakage tests.
final class FloatShareRecordingBackend: Backend, Sendable {
    let endpoint: BackendEndpoint
    let capabilities = BackendCapabilities(arithmetics: [.float32, .float64], maxBatchRows: 65_536)
    private let layer: LinearLayer
    private let weights: EncodedWeights
    // Guarded by the Mutex: every share matrix received, in order.
    private let received = Mutex<[Matrix<Double>]>([])

    init(name: String, domain: String, model: GatewayModel) {
        endpoint = BackendEndpoint(name: name, kind: "float-recording", url: "memory://\(name)", trustDomain: domain,
                                   remoteModel: model.name)
        layer = model.layers[0].layer
        weights = model.layers[0].weights
    }

    /// Every share matrix received, in order.
    var shares: [Matrix<Double>] { received.withLock { $0 } }

    func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {}

    func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        layers.map { _ in
            RemoteLayer(inputs: weights.inputs, outputs: weights.outputs, arithmetics: [.float32, .float64], weightFractionBits: nil, digest: nil)
        }
    }

    func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .real(let matrix) = batch.shares else { throw .unsupported("\(endpoint.name): float only") }
        let seen = batch.arithmetic == .float32
            ? Matrix(rows: matrix.rows, columns: matrix.columns, elements: matrix.elements.map { Double(Float($0)) })
            : matrix
        received.withLock { $0.append(seen) }
        var product = [Double]()
        product.reserveCapacity(seen.rows * outputs)
        for row in 0..<seen.rows {
            for output in 0..<outputs {
                var sum = 0.0
                for column in 0..<seen.columns { sum += layer.weight[output, column] * seen[row, column] }
                product.append(sum)
            }
        }
        return .real(Matrix(rows: seen.rows, columns: outputs, elements: product))
    }
}
