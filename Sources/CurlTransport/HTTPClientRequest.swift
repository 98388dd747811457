/// One outbound HTTP request.
public struct HTTPClientRequest: Sendable {
    /// The request method; a GET sends no body even if `body` is non-empty.
    public var method: HTTPMethod
    /// Absolute http:// or https:// URL; other schemes fail with `TransportError.badURL`.
    public var url: String
    /// Header fields in order. Names and values must not contain CR, LF or NUL.
    public var headers: [(name: String, value: String)]
    /// Request body, sent from memory; empty for GET.
    public var body: [UInt8]
    /// TLS settings applied when the URL is https.
    public var tls: TLSOptions
    /// A tighter response body limit for this request than the client's `maxResponseBytes`, for
    /// callers that know how large a valid answer can be (so a hostile server cannot make them
    /// buffer more); nil: the client's limit alone.
    public var maxResponseBytes: Int?

    /// Creates a request; defaults to a GET with no headers, no body and verified TLS.
    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        tls: TLSOptions = TLSOptions(),
        maxResponseBytes: Int? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.tls = tls
        self.maxResponseBytes = maxResponseBytes
    }
}
