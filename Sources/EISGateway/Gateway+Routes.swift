import EISCore
import Foundation
public import Hummingbird
import NIOCore

extension Gateway {
    /// The gateway's routes: `POST /infer`, `GET /healthz`, `GET /metrics`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/infer") { request, _ in try await self.handleInfer(request) }
        router.get("/healthz") { _, _ in
            let report = self.healthReport()
            return try Self.json(report, status: report.status == "ok" ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: self.metrics.render())))
        }
        return router
    }

    /// The HTTP application on the configured address.
    ///
    /// - Parameter onListening: called once with the bound port.
    public func makeApplication(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "eis-gateway"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    private func handleInfer(_ request: Request) async throws -> Response {
        let start = ContinuousClock.now
        let deadline = start + configuration.requestTimeout
        var modelLabel = "unknown"
        do {
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: configuration.maxBodyBytes)
            } catch is NIOTooManyBytesError {
                throw GatewayError.bodyTooLarge(configuration.maxBodyBytes)
            }
            let parsed = try Self.decode(body)
            guard let name = parsed.model ?? defaultModel else {
                throw GatewayError.unknownModel("name a model with \"model\" (configured: \(pipelines.keys.sorted().joined(separator: ", ")))")
            }
            guard let pipeline = pipelines[name] else {
                throw GatewayError.unknownModel("no model named '\(name)' (configured: \(pipelines.keys.sorted().joined(separator: ", ")))")
            }
            modelLabel = name
            let rows: [[Double]]
            switch (parsed.input, parsed.inputs) {
            case (.some(let input), nil): rows = [input]
            case (nil, .some(let inputs)) where !inputs.isEmpty: rows = inputs
            case (nil, .some): throw GatewayError.missingInput("\"inputs\" has no rows")
            case (.some, .some): throw GatewayError.missingInput("send either \"input\" or \"inputs\", not both")
            case (nil, nil): throw GatewayError.missingInput("the body needs \"input\": [numbers] or \"inputs\": [[numbers], …]")
            }
            guard rows.count <= configuration.maxRowsPerRequest else {
                throw GatewayError.tooManyRows("\(rows.count) rows exceed max_rows_per_request = \(configuration.maxRowsPerRequest)")
            }
            let outputs = try await pipeline.infer(rows, deadline: deadline)
            let response: Response = parsed.input != nil
                ? try Self.json(InferResponse(model: name, output: outputs[0]), status: .ok)
                : try Self.json(InferBatchResponse(model: name, outputs: outputs), status: .ok)
            metrics.recordRequest(model: modelLabel, code: 200, duration: .now - start)
            return response
        } catch let error as GatewayError {
            metrics.recordRequest(model: modelLabel, code: Int(error.status.code), duration: .now - start)
            throw error
        }
    }

    /// Decodes the `/infer` body, turning decoder errors into the right 400.
    private static func decode(_ body: ByteBuffer) throws(GatewayError) -> InferRequest {
        let data = Data(body.readableBytesView)
        do {
            return try JSONDecoder().decode(InferRequest.self, from: data)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            guard let last = context.codingPath.last else {
                throw .malformedJSON("the body must be a JSON object such as {\"input\": [numbers]}")
            }
            let expected = switch last.stringValue {
            case _ where last.intValue != nil: "a number"
            case "model": "a string"
            case "input": "an array of numbers"
            default: "an array of arrays of numbers"
            }
            throw .invalidValue("\(Self.path(context.codingPath)): expected \(expected)")
        } catch {
            // The decoder reports a number too large for a Double (1e999) as invalid JSON without
            // saying why; JSONSerialization does say, so ask it on this (rare) error path.
            if Self.hasUnrepresentableNumber(data) {
                throw .notFinite("a number is too large to be finite (such as 1e999)")
            }
            throw .malformedJSON("the body is not valid JSON of the form {\"input\": [finite numbers]}")
        }
    }

    private static func hasUnrepresentableNumber(_ data: Data) -> Bool {
        do {
            _ = try JSONSerialization.jsonObject(with: data)
            return false
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
            return reason.contains("not representable")
        }
    }

    /// `inputs[2][7]`-style rendering of a coding path.
    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.reduce("") { text, key in
            if let index = key.intValue { return text + "[\(index)]" }
            return text.isEmpty ? key.stringValue : text + "." + key.stringValue
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
