import EISCore
public import Hummingbird
import Foundation
import NIOCore
import OpenInference

/// An error the gateway answers with: HTTP status, stable code, message (`ErrorBody` JSON).
///
/// Messages name positions and limits, never input values (docs/ARCHITECTURE.md, invariant 3).
public struct GatewayError: HTTPResponseError, CustomStringConvertible {
    /// HTTP status.
    public let status: HTTPResponse.Status
    /// Stable code, e.g. `wrong_length`.
    public let code: String
    /// Explanation for people.
    public let message: String
    /// Seconds after which a retry may succeed (sent as `Retry-After`).
    public let retryAfter: Int?

    /// Creates an error.
    public init(status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Renders the error body the route's clients read: on the Open Inference routes (`/v2…`)
    /// that protocol's `{"error":"code: message"}` (tritonclient), on the OpenAI routes (`/v1…`)
    /// OpenAI's `{"error":{"message","type","param","code"}}` (the openai client), on TEI's
    /// `/embed` its `{"error","error_type"}`, and elsewhere `{"error":{"code":…,"message":…}}`.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        let path = request.uri.path
        let body: [UInt8]
        if path == "/v2" || path.hasPrefix("/v2/") {
            body = OpenInference.ErrorBody(message: "\(code): \(message)").encoded()
        } else if path.hasPrefix("/v1/") {
            body = EmbeddingErrorBodies.openAI(self)
        } else if path == "/embed" {
            body = EmbeddingErrorBodies.textEmbeddingsInference(self)
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = Array((try? encoder.encode(EISCore.ErrorBody(code: code, message: message))) ?? Data())
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The status and code for an Open Inference message that could not be read.
    static func openInference(_ error: OpenInferenceError) -> Self {
        switch error.shortDescription {
        case "too_large": Self(status: .contentTooLarge, code: "too_large", message: error.message)
        case "malformed": Self(status: .badRequest, code: "malformed_json", message: error.message)
        default: Self(status: .badRequest, code: error.shortDescription, message: error.message)
        }
    }

    /// 400: the body is not the JSON `/infer` takes.
    static func malformedJSON(_ message: String) -> Self { Self(status: .badRequest, code: "malformed_json", message: message) }
    /// 400: a value that is not a number.
    static func invalidValue(_ message: String) -> Self { Self(status: .badRequest, code: "invalid_value", message: message) }
    /// 400: neither `input` nor `inputs`, or both, or no rows.
    static func missingInput(_ message: String) -> Self { Self(status: .badRequest, code: "missing_input", message: message) }
    /// 400: an Open Inference request names tensors the model does not have, or too many.
    static func wrongTensor(_ message: String) -> Self { Self(status: .badRequest, code: "wrong_tensor", message: message) }
    /// 404: a model version the gateway does not serve (it serves version `1` of each model).
    static func unknownVersion(_ message: String) -> Self { Self(status: .notFound, code: "unknown_version", message: message) }
    /// 415: a body in a `Content-Encoding` the gateway does not decode.
    static func unsupportedEncoding(_ message: String) -> Self {
        Self(status: .unsupportedMediaType, code: "unsupported_encoding", message: message)
    }
    /// 400: a request field with a value of the wrong kind.
    static func invalidParameter(_ message: String) -> Self { Self(status: .badRequest, code: "invalid_parameter", message: message) }
    /// 400: a request field the gateway knows and does not support (OpenAI's `dimensions`).
    static func unsupportedParameter(_ message: String) -> Self { Self(status: .badRequest, code: "unsupported_parameter", message: message) }
    /// 400: more texts or sequences in one request than allowed.
    static func tooManyInputs(_ message: String) -> Self { Self(status: .badRequest, code: "too_many_inputs", message: message) }
    /// 400: a row of the wrong width.
    static func wrongLength(_ message: String) -> Self { Self(status: .badRequest, code: "wrong_length", message: message) }
    /// 400: NaN or infinity.
    static func notFinite(_ message: String) -> Self { Self(status: .badRequest, code: "not_finite", message: message) }
    /// 400: outside what fixed point can represent exactly.
    static func outOfRange(_ message: String) -> Self { Self(status: .badRequest, code: "out_of_range", message: message) }
    /// 400: more rows than `max_rows_per_request`.
    /// An embedding input longer than the model takes (413, as text-embeddings-inference answers).
    static func inputTooLong(_ message: String) -> Self { Self(status: .contentTooLarge, code: "input_too_long", message: message) }
    static func tooManyRows(_ message: String) -> Self { Self(status: .badRequest, code: "too_many_rows", message: message) }
    /// 401: a token is configured and the request did not present it.
    static func unauthorized(_ message: String) -> Self { Self(status: .unauthorized, code: "unauthorized", message: message) }
    /// 403: `Host` names something other than this gateway (DNS rebinding).
    static func hostNotAllowed(_ message: String) -> Self { Self(status: .forbidden, code: "host_not_allowed", message: message) }
    /// 403: a browser request from an origin not in `allowed_origins`.
    static func originNotAllowed(_ message: String) -> Self { Self(status: .forbidden, code: "origin_not_allowed", message: message) }
    /// 415: `/infer` with a content type other than JSON or raw float32.
    static func unsupportedMediaType(_ message: String) -> Self {
        Self(status: .unsupportedMediaType, code: "unsupported_media_type", message: message)
    }
    /// 404: no such model.
    static func unknownModel(_ message: String) -> Self { Self(status: .notFound, code: "unknown_model", message: message) }
    /// A model asked for on a route that does not serve its kind (an encoder on `/infer`, a
    /// layer model on `/v1/embeddings`).
    static func wrongModelKind(_ message: String) -> Self { Self(status: .badRequest, code: "wrong_model_kind", message: message) }
    /// A sentence encoder asked for on `/infer` or an Open Inference route, which take tensors.
    static func encoderOnLayerRoute(_ model: String) -> Self {
        .wrongModelKind("model '\(model)' is a sentence encoder: POST /v1/embeddings or /embed")
    }
    /// 413: body over `max_body_bytes`.
    static func bodyTooLarge(_ limit: Int) -> Self {
        Self(status: .contentTooLarge, code: "body_too_large", message: "request body exceeds \(limit) bytes")
    }
    /// 503: too few backends answered.
    static func backendsUnavailable(_ message: String) -> Self {
        Self(status: .serviceUnavailable, code: "backends_unavailable", message: message, retryAfter: 1)
    }
    /// 499 (nginx's convention): the client went away before its answer; it is never sent,
    /// only counted in `eis_requests_total`.
    static func clientClosedRequest(_ message: String) -> Self {
        Self(status: .init(code: 499, reasonPhrase: "Client Closed Request"), code: "client_closed_request", message: message)
    }
    /// 500: a hidden layer's input left the exact fixed-point range (the model's settings, not the client's input).
    static func fixedPointOverflow(_ message: String) -> Self { Self(status: .internalServerError, code: "fixed_point_overflow", message: message) }
    /// 500: the gateway broke one of its own rules (a bug); the message says which.
    static func internalError(_ message: String) -> Self { Self(status: .internalServerError, code: "internal_error", message: message) }
    /// 504: the request's deadline passed.
    static func deadlineExceeded(_ message: String) -> Self { Self(status: .gatewayTimeout, code: "deadline_exceeded", message: message) }
}
