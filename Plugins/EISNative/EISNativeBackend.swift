import CurlTransport
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
        public func makeBackend(endpoint: BackendEndpoint, transport: any BackendTransport) throws(BackendError) -> any Backend {
            EISNativeBackend(endpoint: endpoint, transport: transport)
        }
    }

    public let endpoint: BackendEndpoint
    public let capabilities = BackendCapabilities(arithmetics: [.ring64], maxBatchRows: ShareLimits().maxRows, servesLayersByName: true)
    private let transport: any BackendTransport

    /// Creates a backend that talks through `transport`.
    public init(endpoint: BackendEndpoint, transport: any BackendTransport) {
        self.endpoint = endpoint
        self.transport = transport
    }

    /// Largest body read for anything but a share answer: error bodies and `/healthz` are a few
    /// hundred bytes, so a server has no reason to send more.
    static let smallBodyLimit = 64 * 1024
    /// Largest model description read (`GET /v1/models/{name}`): about 200 bytes per layer.
    static let descriptionLimit = 1 << 20

    public func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {
        var request = endpoint.request(.get, path: "/healthz")
        request.maxResponseBytes = Self.smallBodyLimit
        let response = try await send(request, deadline: deadline)
        guard response.status == 200 else { throw Self.rejection(response, backend: endpoint.name) }
    }

    /// One `GET /v1/models/{name}` describes every layer the server has; each asked for is looked up in it.
    public func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        let path = "/v1/models/" + (endpoint.remoteModel.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? endpoint.remoteModel)
        var request = endpoint.request(.get, path: path)
        request.maxResponseBytes = Self.descriptionLimit
        let response = try await send(request, deadline: deadline)
        guard response.status == 200 else { throw Self.rejection(response, backend: endpoint.name) }
        let description: ModelDescription
        do {
            description = try JSONDecoder().decode(ModelDescription.self, from: Data(response.body))
        } catch {
            throw .badResponse("\(endpoint.name): model metadata is not valid JSON: \(BackendText.quote("\(error)"))")
        }
        // A server speaking another protocol version would decode our shares differently.
        guard description.protocolVersion == Int(ShareProtocol.version) else {
            throw .mismatch("\(endpoint.name): speaks native protocol version \(description.protocolVersion), expected \(ShareProtocol.version)")
        }
        let served = Dictionary(description.layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return try layers.map { name throws(BackendError) -> RemoteLayer in
            let remoteName = endpoint.remoteName(ofLayer: name)
            guard let layer = served[remoteName] else {
                throw .mismatch("\(endpoint.name): model '\(endpoint.remoteModel)' has no layer '\(remoteName)'")
            }
            guard layer.arithmetics.contains(Arithmetic.ring64.description) else {
                throw .mismatch("\(endpoint.name): layer '\(layer.name)' is not served in ring64")
            }
            return RemoteLayer(inputs: layer.inputs, outputs: layer.outputs, arithmetics: [.ring64],
                               weightFractionBits: layer.weightFractionBits, digest: layer.sha256)
        }
    }

    /// One `POST /v1/share` carries the batch; its answer is checked to be exactly the partials asked for.
    public func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        guard case .ring(let shares) = batch.shares else {
            throw .unsupported("\(endpoint.name): arithmetic \(batch.arithmetic) not supported (eis backends compute in ring64)")
        }
        let message = ShareRequest(
            model: endpoint.remoteModel, layer: endpoint.remoteName(ofLayer: batch.layer), arithmetic: batch.arithmetic,
            inputFractionBits: UInt8(clamping: batch.inputFractionBits), shares: shares)
        var request = endpoint.request(
            .post, path: ShareProtocol.path, headers: [(name: "Content-Type", value: ShareProtocol.contentType)], body: message.encoded())
        // The valid answer's size is known exactly; an error body is small. Anything larger is
        // refused while it arrives, so a hostile server cannot make the gateway buffer megabytes.
        let expectedBytes = ShareProtocol.responseBytes(rows: shares.rows, columns: outputs) ?? Int.max
        request.maxResponseBytes = max(expectedBytes, Self.smallBodyLimit)
        let response = try await send(request, deadline: deadline)
        let name = endpoint.name
        let (rows, arithmetic) = (shares.rows, batch.arithmetic)
        guard response.status == 200 else { throw Self.rejection(response, backend: name) }
        let limits = ShareLimits(maxRows: rows, maxColumns: outputs, maxElements: rows * outputs)
        let answer: ShareResponse
        do throws(ProtocolError) {
            answer = try ShareResponse(decoding: response.body, limits: limits)
        } catch {
            throw .badResponse("\(name): \(error.message)")
        }
        guard answer.partials.rows == rows, answer.partials.columns == outputs, answer.arithmetic == arithmetic else {
            throw .badResponse("\(name): answered \(answer.partials.rows)×\(answer.partials.columns) \(answer.arithmetic), expected \(rows)×\(outputs) \(arithmetic)")
        }
        return .ring(answer.partials)
    }

    private func send(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(BackendError) -> HTTPClientResponse {
        try await transport.send(request, deadline: deadline, backend: endpoint.name)
    }

    /// Turns a non-200 answer into an error, quoting the server's JSON error code when present.
    ///
    /// The quoted text comes from the server, which may be hostile or echo the share it was sent:
    /// `BackendText.quote` clips it, strips control characters and elides long numbers before
    /// it reaches a log line or `/healthz`.
    static func rejection(_ response: HTTPClientResponse, backend: String) -> BackendError {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
            return .rejected("\(backend): HTTP \(response.status) \(BackendText.quote(body.error.code)): \(BackendText.quote(body.error.message))")
        }
        return .rejected("\(backend): HTTP \(response.status)")
    }
}
