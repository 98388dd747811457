public import CurlTransport
public import EISBackend
import EISCore
import Foundation

/// The `eis` plugin: the native binary share protocol spoken to `eis-server` (docs/PROTOCOL.md).
public struct EISNativeBackend: Backend {
    /// The factory registered under kind `eis`.
    public struct Factory: BackendFactory {
        /// Creates the factory.
        public init() {}
        public var kind: String { "eis" }
        public var optionKeys: Set<String> { [] }
        public func makeBackend(endpoint: BackendEndpoint, client: CurlHTTPClient) throws(BackendError) -> any Backend {
            EISNativeBackend(endpoint: endpoint, client: client)
        }
    }

    public let endpoint: BackendEndpoint
    public let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: ShareLimits().maxRows)
    private let client: CurlHTTPClient

    /// Creates a backend that talks through `client`.
    public init(endpoint: BackendEndpoint, client: CurlHTTPClient) {
        self.endpoint = endpoint
        self.client = client
    }

    public func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {
        let response = try await send(endpoint.request(.get, path: "/healthz"), deadline: deadline)
        guard response.status == 200 else { throw Self.rejection(response, backend: endpoint.name) }
    }

    public func describeLayer(deadline: ContinuousClock.Instant) async throws(BackendError) -> RemoteLayer {
        let path = "/v1/models/" + (endpoint.remoteModel.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? endpoint.remoteModel)
        let response = try await send(endpoint.request(.get, path: path), deadline: deadline)
        guard response.status == 200 else { throw Self.rejection(response, backend: endpoint.name) }
        let description: ModelDescription
        do {
            description = try JSONDecoder().decode(ModelDescription.self, from: Data(response.body))
        } catch {
            throw .badResponse("\(endpoint.name): model metadata is not valid JSON: \(error)")
        }
        guard let layer = description.layers.first(where: { $0.name == endpoint.remoteLayer }) else {
            throw .mismatch("\(endpoint.name): model '\(endpoint.remoteModel)' has no layer '\(endpoint.remoteLayer)'")
        }
        guard layer.arithmetics.contains(Arithmetic.ring64.description) else {
            throw .mismatch("\(endpoint.name): layer '\(layer.name)' is not served in ring64")
        }
        return RemoteLayer(inputs: layer.inputs, outputs: layer.outputs, arithmetics: [.ring64],
                           weightFractionBits: layer.weightFractionBits, digest: layer.sha256)
    }

    public func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .ring(let shares) = batch.shares else {
            throw .unsupported("\(endpoint.name): arithmetic \(batch.arithmetic) not supported (eis backends compute in ring64)")
        }
        let message = ShareRequest(
            model: endpoint.remoteModel, layer: endpoint.remoteLayer, arithmetic: batch.arithmetic,
            inputFractionBits: UInt8(clamping: batch.inputFractionBits), shares: shares)
        let request = endpoint.request(
            .post, path: ShareProtocol.path, headers: [(name: "Content-Type", value: ShareProtocol.contentType)], body: message.encoded())
        let response = try await send(request, deadline: deadline)
        guard response.status == 200 else { throw Self.rejection(response, backend: endpoint.name) }
        let limits = ShareLimits(maxRows: shares.rows, maxColumns: outputs, maxElements: shares.rows * outputs)
        let answer: ShareResponse
        do {
            answer = try ShareResponse(decoding: response.body, limits: limits)
        } catch {
            throw .badResponse("\(endpoint.name): \(error.message)")
        }
        guard answer.partials.rows == shares.rows, answer.partials.columns == outputs, answer.arithmetic == batch.arithmetic else {
            throw .badResponse("\(endpoint.name): answered \(answer.partials.rows)×\(answer.partials.columns) \(answer.arithmetic), expected \(shares.rows)×\(outputs) \(batch.arithmetic)")
        }
        return .ring(answer.partials)
    }

    private func send(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(BackendError) -> HTTPClientResponse {
        do {
            return try await client.execute(request, deadline: deadline)
        } catch {
            throw BackendError(transport: error, backend: endpoint.name)
        }
    }

    /// Turns a non-200 answer into an error, quoting the server's JSON error code when present.
    static func rejection(_ response: HTTPClientResponse, backend: String) -> BackendError {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
            return .rejected("\(backend): HTTP \(response.status) \(body.error.code): \(body.error.message)")
        }
        return .rejected("\(backend): HTTP \(response.status)")
    }
}
