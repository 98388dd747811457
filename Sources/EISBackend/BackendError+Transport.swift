public import CurlTransport

extension BackendError {
    /// Classifies a transport failure: deadline and cancellation stay distinct from the rest.
    ///
    /// | transport failure | backend error | why |
    /// |---|---|---|
    /// | deadline exceeded | `timeout` | |
    /// | cancelled | `cancelled` | |
    /// | response too large | `badResponse` | the server answered, with more than the protocol allows |
    /// | TLS failure | `tlsFailure` | a setup problem (CA, expiry, pin, client certificate) the operator must fix |
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
            // Operators read this in /healthz: curl's plain-words explanation of what failed,
            // rather than a Swift type name.
            let code = error.curlCode.map { " (CURLcode \($0))" } ?? ""
            self = .tlsFailure("\(backend): \(error.message ?? "the TLS handshake failed")\(code)")
        default:
            self = .unreachable("\(backend): \(error.description)")
        }
    }
}
