/// A completed HTTP exchange (any status code: a 4xx/5xx is a response, not an error).
public struct HTTPClientResponse: Sendable {
    /// Header fields as given, or as received and not parsed yet (`ResponseHeaderBlock`).
    private enum Headers: Sendable {
        case fields([(name: String, value: String)])
        case received(ResponseHeaderBlock)
    }

    /// The status code of the final response (interim 1xx responses are skipped).
    public var status: Int
    /// The response body, exactly as received (no content decoding is requested or done).
    public var body: [UInt8]
    private var storedHeaders: Headers

    /// Header fields of the final response in arrival order, names lower-cased (parsed from the
    /// received bytes on every read: callers that need several fields read this once).
    public var headers: [(name: String, value: String)] {
        get {
            switch storedHeaders {
            case .fields(let fields): fields
            case .received(let block): block.fields
            }
        }
        set { storedHeaders = .fields(newValue) }
    }

    /// Creates a response; names are stored as given, so pass them lower-cased.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.storedHeaders = .fields(headers)
        self.body = body
    }

    /// A response whose header lines are parsed when first asked for.
    init(status: Int, received headers: ResponseHeaderBlock, body: [UInt8]) {
        self.status = status
        self.storedHeaders = .received(headers)
        self.body = body
    }

    /// The first value of the named header (case-insensitive), or nil if absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }
}
