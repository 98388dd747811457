import Foundation
import Hummingbird
import NIOCore
import OpenInference

/// The Open Inference Protocol (KServe V2) REST routes, so an application written for Triton or
/// KServe (`tritonclient.http`, for one) uses the gateway unchanged. Each configured model is
/// version `1` of a V2 model with one input and one output (`V2Inference`).
extension Gateway {
    /// The one version each model has on the V2 routes.
    static let v2ModelVersion = "1"

    /// The `Inference-Header-Content-Length` field of the binary tensor data extension.
    static let inferenceHeaderLength = HTTPFields.Element.Name(InferenceBody.headerLengthField)!

    /// Adds the V2 routes to `router`.
    static func addV2Routes(to router: Router<BasicRequestContext>, current: @escaping @Sendable () -> Gateway) {
        router.get("/v2") { _, _ in
            let metadata = ServerMetadata(name: "eis-gateway", version: GatewayVersion.current, extensions: ["binary_tensor_data"])
            return Self.v2JSON(metadata.encoded())
        }
        router.get("/v2/health/live") { _, _ in Self.v2JSON(Array("{\"live\":true}".utf8)) }
        router.get("/v2/health/ready") { _, _ in
            let ready = current().healthReport().status == "ok"
            return Self.v2JSON(ReadinessBody(ready: ready).encoded(), status: ready ? .ok : .serviceUnavailable)
        }
        for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context in try current().v2Metadata(context) }
            router.get(RouterPath(prefix + "/ready")) { _, context in try current().v2ModelReady(context) }
            router.post(RouterPath(prefix + "/infer")) { request, context in try await current().v2Infer(request, context: context) }
        }
    }

    /// `GET /v2/models/{name}`: one FP32 input and one FP32 output, batch dimension −1.
    private func v2Metadata(_ context: BasicRequestContext) throws -> Response {
        let (name, _, signature) = try v2Model(context)
        return Self.v2JSON(try signature.metadata(model: name, version: Self.v2ModelVersion).encoded())
    }

    /// `GET /v2/models/{name}/ready`: 200 when the model has `k` usable backends, else 503.
    private func v2ModelReady(_ context: BasicRequestContext) throws -> Response {
        let (_, pipeline, _) = try v2Model(context)
        let ready = isServable(pipeline)
        return Self.v2JSON(ReadinessBody(ready: ready).encoded(), status: ready ? .ok : .serviceUnavailable)
    }

    /// `POST /v2/models/{name}/infer`, JSON tensors or the binary tensor data extension.
    private func v2Infer(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await measured { modelLabel, deadline in
            let (name, pipeline, signature) = try v2Model(context)
            modelLabel = name
            if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
                throw GatewayError.unsupportedEncoding("Content-Encoding \(encoding.prefix(32)) is not accepted; send the body uncompressed")
            }
            let body = try await collectBody(request)
            let maxRows = configuration.maxRowsPerRequest
            let decoded: InferenceRequest
            do throws(OpenInferenceError) {
                let jsonLength = try InferenceBody.jsonLength(fromHeader: request.headers[Self.inferenceHeaderLength], bodyCount: body.readableBytes)
                decoded = try InferenceRequest(decoding: Array(body.readableBytesView), jsonLength: jsonLength,
                                               limits: V2Inference.Signature.limits(maxBodyBytes: configuration.maxBodyBytes))
            } catch {
                throw GatewayError.openInference(error)
            }
            let inference = try V2Inference(decoded, signature: signature, maxRows: maxRows)
            let outputs = try await run(inference.rows, on: pipeline, deadline: deadline)
            let encoded: InferenceBody
            do throws(OpenInferenceError) {
                encoded = try inference.response(outputs, model: name, version: Self.v2ModelVersion)
            } catch {
                // Outputs are finite and within the fixed-point range, so this is our bug, not the client's.
                throw GatewayError(status: .internalServerError, code: "internal", message: "the answer could not be encoded: \(error.message)")
            }
            var headers: HTTPFields = [.contentType: encoded.contentType]
            if let jsonLength = encoded.jsonLength { headers[Self.inferenceHeaderLength] = String(jsonLength) }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: encoded.bytes)))
        }
    }

    /// The model a V2 route names (`:name`, and `:version` when given, which must be `1`).
    private func v2Model(_ context: BasicRequestContext) throws(GatewayError) -> (String, InferencePipeline, V2Inference.Signature) {
        let raw = context.parameters.get("name") ?? ""
        let (name, pipeline) = try model(named: raw.removingPercentEncoding ?? raw, howToName: "/v2/models/NAME")
        if let version = context.parameters.get("version"), version != Self.v2ModelVersion {
            throw .unknownVersion("model '\(name)' has version \(Self.v2ModelVersion) only, not '\(version.prefix(32))'")
        }
        guard let signature = v2Signatures[name] else {
            if pipeline.model.encoder != nil {
                throw .encoderOnLayerRoute(name)
            }
            throw .unknownModel("no model named '\(name)'")
        }
        return (name, pipeline, signature)
    }

    /// A JSON answer on a V2 route.
    static func v2JSON(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
