public import CurlTransport

extension BackendError {
    /// Classifies a transport failure: deadline and cancellation stay distinct from the rest.
    public init(transport error: TransportError, backend: String) {
        switch error.shortDescription {
        case TransportError.deadlineExceeded.shortDescription:
            self = .timeout("\(backend): deadline passed")
        case TransportError.cancelled.shortDescription:
            self = .cancelled("\(backend): cancelled")
        default:
            self = .unreachable("\(backend): \(error.description)")
        }
    }
}
