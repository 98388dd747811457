import CurlTransport
import EISBackend
import OpenInference

/// Turns a V2 server's error answer into a `BackendError.rejected` that quotes it briefly.
enum KServeV2Rejection {
    /// `.rejected("backend: HTTP 422: <the server's message>")`.
    static func error(_ response: HTTPClientResponse, backend: String, during action: String) -> BackendError {
        guard let message = quote(response.body) else {
            return .rejected("\(backend): \(action): HTTP \(response.status)")
        }
        return .rejected("\(backend): \(action): HTTP \(response.status): \(message)")
    }

    /// The server's message (`{"error":…}` from KServe and Triton, `{"detail":…}` from
    /// MLServer) through `BackendText.quote`: control characters out, long numbers elided (a
    /// server may echo the values it was sent, and those are shares, which must not reach a
    /// log), cut to `BackendText.limit` characters.
    static func quote(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let parsed = ErrorBody(decoding: body) else { return nil }
        return BackendText.quote(parsed.message)
    }
}
