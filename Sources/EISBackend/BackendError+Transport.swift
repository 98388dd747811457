public import CurlTransport

extension BackendError {
    /// Classifies a transport failure: deadline and cancellation stay distinct from the rest.
    ///
    /// | transport failure | backend error | why |
    /// |---|---|---|
    /// | deadline exceeded | `timeout` | |
    /// | cancelled | `cancelled` | |
    /// | response too large | `badResponse` | the server answered, with more than the protocol allows |
    /// | TLS failure | `unreachable`, message "TLS failure: …" | no answer could be had; the words say it was TLS, for `/healthz` and the log |
    /// | anything else | `unreachable` | |
    public init(transport error: TransportError, backend: String) {
        switch error.shortDescription {
        case TransportError.deadlineExceeded.shortDescription:
            self = .timeout("\(backend): deadline passed")
        case TransportError.cancelled.shortDescription:
            self = .cancelled("\(backend): cancelled")
        case TransportError.responseTooLarge.shortDescription:
            self = .badResponse("\(backend): the answer is larger than the response size limit (\(error.description))")
        case TransportError.tlsFailure.shortDescription:
            // Operators read this in /healthz: lead with "TLS failure" and curl's plain-words
            // explanation rather than a Swift type name.
            let code = error.curlCode.map { " (CURLcode \($0))" } ?? ""
            self = .unreachable("\(backend): TLS failure: \(error.message ?? "the handshake failed")\(code)")
        default:
            self = .unreachable("\(backend): \(error.description)")
        }
    }
}
