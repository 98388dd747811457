import EISCore
import EISHTTPGuards
import Foundation
public import Hummingbird
import HummingbirdCore
import NIOCore

extension Gateway {
    /// The gateway's routes: `POST /infer`, `GET /healthz`, `GET /metrics`, the status page
    /// (`GET /status`, `GET /status.json`), the Open Inference (KServe V2) routes under `/v2`,
    /// and the embedding routes (`/v1/embeddings`, `/v1/models`, `/embed`).
    public func makeRouter() -> Router<BasicRequestContext> {
        Self.makeRouter { self }
    }

    /// Routes that ask `current` for the gateway on every request, so a reloaded configuration
    /// takes over new requests while in-flight ones finish on the gateway they started with.
    static func makeRouter(current: @escaping @Sendable () -> Gateway) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: BrowserRequestCheck(current: current))
        router.add(middleware: BearerTokenCheck(current: current))
        router.post("/infer") { request, _ in try await current().handleInfer(request) }
        router.get("/healthz") { _, _ in
            let report = current().healthReport()
            return try Self.json(report, status: report.status == "ok" ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: current().metrics.render())))
        }
        addV2Routes(to: router, current: current)
        addStatusRoutes(to: router, current: current)
        addEmbeddingRoutes(to: router, current: current)
        return router
    }

    /// The HTTP application on the configured address.
    ///
    /// - Parameter onListening: called once with the bound port.
    public func makeApplication(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        makeApplication(router: makeRouter(), onListening: onListening)
    }

    /// The HTTP application on the configured address, serving `router`.
    func makeApplication(
        router: Router<BasicRequestContext>, onListening: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        // Slow clients: idle connections close after idle_timeout_ms, a request whose body has not
        // arrived body_timeout_ms after its head is dropped, and at most max_connections are open.
        let counter = ConnectionLimitHandler.Counter(limit: configuration.maxConnections, logger: logger)
        let bodyTimeout = TimeAmount(configuration.bodyTimeout)
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestReadDeadlineHandler(deadline: bodyTimeout), ConnectionLimitHandler(counter: counter)],
            idleTimeout: TimeAmount(configuration.idleTimeout))
        return Application(
            router: router,
            server: .http1(configuration: channel),
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "eis-gateway"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    private func handleInfer(_ request: Request) async throws -> Response {
        try await measured { modelLabel, deadline in
            // Only the two types a web page cannot send without a CORS preflight.
            let contentType = (request.headers[.contentType] ?? "").split(separator: ";").first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard contentType == "application/json" || contentType == Float32Body.contentType else {
                throw GatewayError.unsupportedMediaType(
                    "POST /infer takes Content-Type application/json or \(Float32Body.contentType)\(contentType.isEmpty ? " (none was sent)" : "")")
            }
            let body = try await collectBody(request)
            if contentType == Float32Body.contentType {
                return try await handleFloat32Infer(request, body: body, deadline: deadline, modelLabel: &modelLabel)
            }
            let maxRows = configuration.maxRowsPerRequest
            let parsed = try body.withUnsafeReadableBytes { raw throws(GatewayError) in try InferBodyParser.parse(raw, maxRows: maxRows) }
            let (name, pipeline) = try model(named: parsed.model, howToName: "\"model\"")
            modelLabel = name
            if pipeline.model.encoder != nil {
                throw GatewayError.encoderOnLayerRoute(name)
            }
            let rows: [[Double]]
            switch (parsed.input, parsed.inputs) {
            case (.some(let input), nil): rows = [input]
            case (nil, .some(let inputs)) where !inputs.isEmpty: rows = inputs
            case (nil, .some): throw GatewayError.missingInput("\"inputs\" has no rows")
            case (.some, .some): throw GatewayError.missingInput("send either \"input\" or \"inputs\", not both")
            case (nil, nil): throw GatewayError.missingInput("the body needs \"input\": [numbers] or \"inputs\": [[numbers], …]")
            }
            guard rows.count <= maxRows else {
                throw GatewayError.tooManyRows("\(rows.count) rows exceed max_rows_per_request = \(maxRows)")
            }
            let outputs = try await run(rows, on: pipeline, deadline: deadline)
            let bytes = parsed.input != nil
                ? InferResponseWriter.single(model: name, output: outputs[0])
                : InferResponseWriter.batch(model: name, outputs: outputs)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Runs one inference request's `work` with its deadline and records its outcome in
    /// `eis_requests_total` under the model `work` names (`unknown` until it does).
    func measured(_ work: (inout String, ContinuousClock.Instant) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var modelLabel = "unknown"
        do {
            let response = try await work(&modelLabel, start + configuration.requestTimeout)
            metrics.recordRequest(model: modelLabel, code: Int(response.status.code), duration: .now - start)
            return response
        } catch let error as GatewayError {
            metrics.recordRequest(model: modelLabel, code: Int(error.status.code), duration: .now - start)
            throw error
        }
    }

    /// The request body, up to `max_body_bytes`.
    ///
    /// - Throws: `GatewayError` 413 beyond the limit.
    func collectBody(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw GatewayError.bodyTooLarge(configuration.maxBodyBytes)
        }
    }

    /// `/infer` with an `application/octet-stream` body of float32 rows; the model comes from
    /// `?model=NAME` (default: the only model) and the answer is float32 rows too.
    private func handleFloat32Infer(
        _ request: Request, body: ByteBuffer, deadline: ContinuousClock.Instant, modelLabel: inout String
    ) async throws -> Response {
        let (name, pipeline) = try model(named: request.uri.queryParameters.get("model").map { String($0) }, howToName: "?model=NAME")
        modelLabel = name
        if pipeline.model.encoder != nil {
            throw GatewayError.encoderOnLayerRoute(name)
        }
        let width = pipeline.model.inputs, maxRows = configuration.maxRowsPerRequest
        let rows = try body.withUnsafeReadableBytes { raw throws(GatewayError) in try Float32Body.rows(from: raw, width: width, maxRows: maxRows) }
        let outputs = try await run(rows, on: pipeline, deadline: deadline)
        return Response(status: .ok, headers: [.contentType: Float32Body.contentType],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: Float32Body.bytes(outputs))))
    }

    /// The named model, or the only one when `name` is nil.
    ///
    /// - Throws: `GatewayError` `unknown_model`, saying how to name one (`howToName`).
    func model(named name: String?, howToName: String) throws(GatewayError) -> (String, InferencePipeline) {
        // The list of names is built only for the error: sorting and joining it cost every request.
        var configured: String { pipelines.keys.sorted().joined(separator: ", ") }
        guard let name = name ?? defaultModel else {
            throw .unknownModel("name a model with \(howToName) (configured: \(configured))")
        }
        guard let pipeline = pipelines[name] else { throw .unknownModel("no model named '\(name)' (configured: \(configured))") }
        return (name, pipeline)
    }

    /// Checks and encodes the rows here, before batching — a bad request gets its own 400 and
    /// can never fail a batch that other requests share — then runs them through the model's
    /// batcher, or straight through its pipeline when batching is off.
    func run(_ rows: [[Double]], on pipeline: InferencePipeline, deadline: ContinuousClock.Instant) async throws -> [[Double]] {
        let prepared = try pipeline.prepare(rows)
        if let batcher = batchers[pipeline.model.name] {
            return try await batcher.infer(prepared, deadline: deadline)
        }
        return try await pipeline.infer(prepared: prepared, deadline: deadline)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
