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
        // By kind (TransportError's equality compares kinds), never by the text of a description.
        switch error {
        case .deadlineExceeded:
            self = .timeout("\(backend): deadline passed")
        case .cancelled:
            self = .cancelled("\(backend): cancelled")
        case .responseTooLarge:
            self = .badResponse("\(backend): the answer is larger than the response size limit (\(error.description))")
        case .tlsFailure:
            // Operators read this in /healthz: curl's plain-words explanation of what failed,
            // rather than a Swift type name.
            let code = error.curlCode.map { " (CURLcode \($0))" } ?? ""
            self = .tlsFailure("\(backend): \(error.message ?? "the TLS handshake failed")\(code)")
        default:
            self = .unreachable("\(backend): \(error.description)")
        }
    }
}
