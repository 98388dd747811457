/// A completed HTTP exchange (any status code: a 4xx/5xx is a response, not an error).
public struct HTTPClientResponse: Sendable {
    /// The status code of the final response (interim 1xx responses are skipped).
    public var status: Int
    /// Header fields of the final response in arrival order, names lower-cased.
    public var headers: [(name: String, value: String)]
    /// The response body, exactly as received (no content decoding is requested or done).
    public var body: [UInt8]

    /// Creates a response; names are stored as given, so pass them lower-cased.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the named header (case-insensitive), or nil if absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}
