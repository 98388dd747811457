import CurlTransport
public import EISBackend
import EISCore
import Logging
import OpenInference
import Synchronization

/// The `kserve-v2` plugin: shares sent as tensors to any Open Inference Protocol (KServe V2)
/// REST server — KServe, MLServer, Triton — that serves the layer as a one-input, one-output
/// model `[-1, in] → [-1, out]`.
///
/// INT64 models compute in ring64 (the server must multiply with wrapping int64 arithmetic by
/// `W_enc = round(W · 2^fw)`); FP32/FP64 models compute in float32/float64 on float-masked
/// shares. The metadata decides which; `describeLayer` reports it and the gateway compares.
///
/// Thread-safe: the only mutable state (the metadata last read and whether the server refused
/// the binary extension) sits behind a Mutex.
public final class KServeV2Backend: Backend {
    public let endpoint: BackendEndpoint
    public let capabilities = BackendCapabilities(arithmetics: [.ring64, .float32, .float64], maxBatchRows: 65_536)
    private let transport: any BackendTransport
    private let options: KServeV2Options
    private let paths: KServeV2Paths
    private let logger = Logger(label: "eis.kserve-v2")

    private struct State {
        /// The layer as the metadata last described it; requests use its tensor names.
        var signature: KServeV2Signature?
        /// Whether to send binary tensors: the option, until the server refuses them once.
        var binary: Bool
    }

    // Guarded by the Mutex: read per call, written by describeLayer and by the JSON fallback.
    private let state: Mutex<State>

    /// Answers to a metadata or health request larger than this are refused unread.
    static let maxMetadataBytes = 1 << 20

    /// Creates a backend; `options` must already be checked (`KServeV2Options`).
    init(endpoint: BackendEndpoint, transport: any BackendTransport, options: KServeV2Options) {
        self.endpoint = endpoint
        self.transport = transport
        self.options = options
        self.paths = KServeV2Paths(model: endpoint.remoteModel, version: options.version)
        self.state = Mutex(State(signature: nil, binary: options.binaryData))
    }

    /// Whether calls currently send the binary tensor extension (false after a server refused it).
    public var sendsBinary: Bool { state.withLock { $0.binary } }

    public func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError) {
        for path in [KServeV2Paths.serverReady, paths.ready] {
            let response = try await send(endpoint.request(.get, path: path), deadline: deadline)
            guard response.status == 200 else {
                throw KServeV2Rejection.error(response, backend: endpoint.name, during: "GET \(path)")
            }
            // MLServer answers an empty body, KServe {"ready":true}; only an explicit false fails.
            if !response.body.isEmpty, response.body.count <= Self.maxMetadataBytes,
               let readiness = ReadinessBody(decoding: response.body), !readiness.ready {
                throw .rejected("\(endpoint.name): GET \(path) says not ready")
            }
        }
    }

    /// A V2 model is one layer, whatever the gateway calls it: asking for more is a mismatch.
    public func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer] {
        guard layers.count == 1 else {
            throw .mismatch("\(endpoint.name): a KServe V2 model is one layer; this model has \(layers.count)")
        }
        let signature = try await readSignature(deadline: deadline)
        return [RemoteLayer(
            inputs: signature.inputs, outputs: signature.outputs, arithmetics: [signature.arithmetic],
            // The server's own statement wins: a server that says it encodes with another fw
            // than the configuration is a mismatch to catch, not to paper over.
            weightFractionBits: signature.arithmetic == .ring64 ? (signature.weightFractionBits ?? endpoint.weightFractionBits) : nil,
            digest: signature.digest)]
    }

    public func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix {
        let (cached, binary) = state.withLock { ($0.signature, $0.binary) }
        let signature: KServeV2Signature
        if let cached { signature = cached } else { signature = try await readSignature(deadline: deadline) }
        let rows = batch.shares.rows
        let request = InferenceRequest(
            id: Self.makeRequestID(),
            inputs: [try KServeV2ShareCoding.tensor(for: batch, signature: signature, backend: endpoint.name)])
        var response = try await infer(request, binary: binary, deadline: deadline)
        if binary, Self.mayRefuseBinary(response.status) {
            // The server may not speak the binary extension. Ask again in JSON; only when that
            // works is the server marked JSON-only, so a request the server rejects for another
            // reason does not switch the mode (it only costs one more request, once).
            let retry = try await infer(request, binary: false, deadline: deadline)
            if retry.status == 200 {
                let switched = state.withLock { state -> Bool in
                    defer { state.binary = false }
                    return state.binary
                }
                if switched {
                    logger.notice("backend refuses the binary tensor extension; using JSON from now on", metadata: [
                        "backend": "\(endpoint.name)", "status": "\(response.status)",
                    ])
                }
            }
            response = retry
        }
        guard response.status == 200 else {
            throw KServeV2Rejection.error(response, backend: endpoint.name, during: "infer")
        }
        return try decodeAnswer(response, signature: signature, rows: rows, outputs: outputs)
    }

    // MARK: Helpers

    /// Statuses with which servers that lack the binary extension answer it: 400/415/422 are
    /// the usual refusals (MLServer 1.7 says 422 when the bytes happen to be valid UTF-8); 500
    /// is MLServer's answer to random shares, whose bytes make its validation error handler
    /// fail on UTF-8 decoding.
    static func mayRefuseBinary(_ status: Int) -> Bool {
        [400, 415, 422, 500].contains(status)
    }

    /// Reads the model metadata, checks it, and remembers it for `evaluate`.
    private func readSignature(deadline: ContinuousClock.Instant) async throws(BackendError) -> KServeV2Signature {
        let response = try await send(endpoint.request(.get, path: paths.model), deadline: deadline)
        guard response.status == 200 else {
            throw KServeV2Rejection.error(response, backend: endpoint.name, during: "GET \(paths.model)")
        }
        guard response.body.count <= Self.maxMetadataBytes else {
            throw .badResponse("\(endpoint.name): model metadata of \(response.body.count) bytes exceeds \(Self.maxMetadataBytes)")
        }
        let metadata: ModelMetadata
        do {
            metadata = try ModelMetadata(decoding: response.body)
        } catch {
            throw .badResponse("\(endpoint.name): model metadata: \(error.message)")
        }
        let signature = try KServeV2Signature(metadata, options: options, backend: endpoint.name)
        state.withLock { $0.signature = signature }
        return signature
    }

    /// Sends one infer request, binary or JSON, asking for the output by name.
    private func infer(_ request: InferenceRequest, binary: Bool, deadline: ContinuousClock.Instant) async throws(BackendError) -> HTTPClientResponse {
        var request = request
        let outputName = state.withLock { $0.signature?.outputName }
        if let outputName {
            // Per-output binary_data is what Triton and KServe read; binary_data_output covers the rest.
            request.outputs = [RequestedOutput(name: outputName, binaryData: binary ? true : nil)]
        }
        request.binaryDataOutput = binary
        let body: InferenceBody
        do {
            body = try request.encoded(binary: binary ? .all : .none)
        } catch {
            throw .unsupported("\(endpoint.name): \(error.message)")
        }
        // No Accept-Encoding: the transport does not decode gzip, and MLServer would send it.
        return try await send(endpoint.request(.post, path: paths.infer, headers: body.headers, body: body.bytes), deadline: deadline)
    }

    /// Decodes and checks a 200 answer to an infer request.
    private func decodeAnswer(_ response: HTTPClientResponse, signature: KServeV2Signature, rows: Int, outputs: Int) throws(BackendError) -> ShareMatrix {
        if let encoding = response.header("content-encoding"), encoding.lowercased() != "identity" {
            throw .badResponse("\(endpoint.name): answer has Content-Encoding \(encoding.prefix(32)), which was not asked for")
        }
        let limit = KServeV2ShareCoding.maxAnswerBytes(rows: rows, outputs: outputs)
        guard response.body.count <= limit else {
            throw .badResponse("\(endpoint.name): answer of \(response.body.count) bytes exceeds the \(limit) that \(rows)×\(outputs) elements need")
        }
        let answer: InferenceResponse
        do {
            let jsonLength = try InferenceBody.jsonLength(fromHeader: response.header(InferenceBody.headerLengthField), bodyCount: response.body.count)
            answer = try InferenceResponse(
                decoding: response.body, jsonLength: jsonLength,
                limits: OpenInferenceLimits(maxTensors: 16, maxElements: rows * outputs))
        } catch {
            throw .badResponse("\(endpoint.name): answer: \(error.message)")
        }
        return try KServeV2ShareCoding.partials(from: answer, signature: signature, rows: rows, outputs: outputs, backend: endpoint.name)
    }

    private func send(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async throws(BackendError) -> HTTPClientResponse {
        try await transport.send(request, deadline: deadline, backend: endpoint.name)
    }

    /// A fresh request id (KServe fails requests without one); random, so it says nothing.
    private static func makeRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next()
        let digits = String(value, radix: 16)
        return "eis-" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
