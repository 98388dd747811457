import CurlTransport
import EISBackend
import OpenInference

/// Turns a V2 server's error answer into a `BackendError.rejected` that quotes it briefly.
enum KServeV2Rejection {
    /// Longest quote of a server's message kept in an error.
    static let maxQuote = 200

    /// `.rejected("backend: HTTP 422: <the server's message>")`.
    static func error(_ response: HTTPClientResponse, backend: String, during action: String) -> BackendError {
        guard let message = quote(response.body) else {
            return .rejected("\(backend): \(action): HTTP \(response.status)")
        }
        return .rejected("\(backend): \(action): HTTP \(response.status): \(message)")
    }

    /// The server's message (`{"error":…}` from KServe and Triton, `{"detail":…}` from
    /// MLServer), truncated, with long numbers elided: a server may echo the values it was sent,
    /// and those are shares, which must not reach a log.
    static func quote(_ body: [UInt8]) -> String? {
        guard !body.isEmpty, let parsed = ErrorBody(decoding: body) else { return nil }
        let redacted = redactNumbers(parsed.message)
        guard redacted.count > maxQuote else { return redacted }
        return String(redacted.prefix(maxQuote)) + "…"
    }

    /// Replaces every run of number characters that holds five or more digits with `#`;
    /// shorter numbers (a status, a dimension, a port) stay readable.
    static func redactNumbers(_ text: String) -> String {
        var result = ""
        var run = ""
        var digits = 0
        func flush() {
            result += digits >= 5 ? "#" : run
            run = ""
            digits = 0
        }
        for character in text {
            if character.isASCII, character.isNumber || "+-.eE".contains(character) {
                run.append(character)
                if character.isNumber { digits += 1 }
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return result
    }
}
