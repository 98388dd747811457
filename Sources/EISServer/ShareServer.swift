import EISCore
import EISHTTPGuards
public import Hummingbird
public import Logging
import Foundation
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL

/// The reference share server: computes `W_enc · x_i mod 2^64` for shares it receives.
///
/// Routes:
/// - `POST /v1/share`: native protocol (docs/PROTOCOL.md);
/// - `GET /v1/models/{name}`: `ModelDescription` JSON;
/// - `GET /healthz`: `{"status":"ok"}`;
/// - `GET /metrics`: Prometheus text.
///
/// With `configuration.tls` it serves HTTPS only (mutual TLS when a client CA is set).
/// It logs request outcomes and sizes, never share values.
public struct ShareServer: Sendable {
    /// The process settings.
    public let configuration: ShareServerConfiguration
    /// The loaded model.
    public let model: ServedModel
    /// Metrics rendered at `/metrics`.
    public let metrics: ServerMetrics
    private let kernels: KernelRunner
    private let logger: Logger
    /// The loaded TLS settings when `configuration.tls` is set.
    private let tlsConfiguration: TLSConfiguration?

    /// Creates a server over a loaded model, reading the TLS files if `configuration` names them.
    ///
    /// - Throws: `ShareServerTLSError` when a TLS file is missing, unreadable or malformed.
    public init(configuration: ShareServerConfiguration, model: ServedModel, metrics: ServerMetrics = ServerMetrics(), logger: Logger) throws {
        self.configuration = configuration
        self.model = model
        self.metrics = metrics
        self.logger = logger
        self.kernels = KernelRunner(threads: max(1, configuration.kernelThreads))
        self.tlsConfiguration = try configuration.tls?.makeTLSConfiguration()
    }

    /// Loads the model named in `configuration` and creates the server.
    ///
    /// - Throws: the model's loading error, or `ShareServerTLSError` for a bad TLS file.
    public init(configuration: ShareServerConfiguration, logger: Logger) throws {
        let model = try ServedModel(
            name: configuration.modelName, path: configuration.modelPath,
            weightFractionBits: configuration.weightFractionBits)
        try self.init(configuration: configuration, model: model, logger: logger)
    }

    /// The routes, for in-process tests and for `makeApplication`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post(RouterPath(stringLiteral: ShareProtocol.path)) { request, _ in
            try await self.handleShare(request)
        }
        router.get("/v1/models/:name") { _, context in
            let name = try context.parameters.require("name")
            guard name == self.model.name else {
                throw ServerError(status: .notFound, code: "unknown_model", message: "no model named '\(name)'")
            }
            return try Self.json(self.model.description)
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        return router
    }

    /// The Hummingbird application bound to the configured address, over HTTPS when TLS is configured.
    ///
    /// - Parameter onListening: called once with the bound port (useful when the port is 0).
    public func makeApplication(
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            server: serverBuilder,
            // No Server header: every response field costs the gateway's libcurl about 6,000
            // instructions to parse (docs/OVERHEAD.md), and this one tells a client nothing it
            // needs (nor an attacker the software it talks to).
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// HTTP/1.1, wrapped in TLS when configured; a handshake that fails closes only that connection.
    private var serverBuilder: HTTPServerBuilder {
        // Slow clients: idle connections close, a body that has not arrived in time is dropped
        // with its connection, and one connection over the cap gets 503.
        let counter = ConnectionLimitHandler.Counter(limit: configuration.maxConnections, logger: logger)
        let bodyTimeout = TimeAmount(configuration.bodyTimeout)
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestReadDeadlineHandler(deadline: bodyTimeout), ConnectionLimitHandler(counter: counter)],
            idleTimeout: TimeAmount(configuration.idleTimeout))
        guard let tlsConfiguration else { return .http1(configuration: channel) }
        // Built here rather than with `.tls(…)`, which is declared `throws` although it only captures the
        // configuration; the files were read and checked in `init`.
        return HTTPServerBuilder { responder in
            try TLSChannel(HTTP1Channel(responder: responder, configuration: channel), tlsConfiguration: tlsConfiguration)
        }
    }

    private func handleShare(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        var modelLabel = model.name
        var rows: Int?
        do {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: configuration.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw ServerError(status: .contentTooLarge, code: "body_too_large",
                                  message: "request body exceeds \(configuration.maxBodyBytes) bytes")
            }
            let decoded = body.withUnsafeReadableBytes { raw in
                Result { () throws(ProtocolError) in try ShareRequest(decoding: raw, limits: configuration.limits) }
            }
            let shareRequest: ShareRequest
            switch decoded {
            case .success(let value):
                shareRequest = value
                rows = value.shares.rows
            case .failure(let error): throw ServerError.from(error)
            }
            guard shareRequest.model == model.name else {
                modelLabel = "unknown"
                throw ServerError(status: .notFound, code: "unknown_model", message: "no model named '\(shareRequest.model)'")
            }
            guard let layer = model.layers[shareRequest.layer] else {
                throw ServerError(status: .notFound, code: "unknown_layer",
                                  message: "model '\(model.name)' has no layer '\(shareRequest.layer)'")
            }
            guard shareRequest.shares.columns == layer.weights.inputs else {
                throw ServerError(status: .badRequest, code: "wrong_width",
                                  message: "layer '\(layer.name)' takes \(layer.weights.inputs) columns, got \(shareRequest.shares.columns)")
            }
            let partials = await kernels.multiply(shareRequest.shares, by: layer.weights.packed)
            let bytes = ShareResponse(arithmetic: shareRequest.arithmetic, partials: partials).encoded()
            metrics.recordRequest(model: modelLabel, code: 200, rows: rows, duration: .now - start)
            return Response(status: .ok, headers: [.contentType: ShareProtocol.contentType],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch let error as ServerError {
            metrics.recordRequest(model: modelLabel, code: Int(error.status.code), rows: rows, duration: .now - start)
            logger.debug("share request refused", metadata: ["code": "\(error.code)"])
            throw error
        }
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
