public import CurlTransport

/// One configured backend: where it is, who operates it, and how to reach it.
public struct BackendEndpoint: Sendable, Hashable {
    /// Unique name within the gateway (a metric label and a log field).
    public var name: String
    /// Plugin kind, e.g. `eis`.
    public var kind: String
    /// Base URL, e.g. `http://127.0.0.1:9101`.
    public var url: String
    /// Who operates it. Two shares of one sharing never go to the same trust domain.
    public var trustDomain: String
    /// The model's name on the backend.
    public var remoteModel: String
    /// The layer's name on the backend.
    public var remoteLayer: String
    /// TLS settings for this backend.
    public var tls: TLSOptions

    /// Creates an endpoint.
    public init(name: String, kind: String, url: String, trustDomain: String, remoteModel: String, remoteLayer: String, tls: TLSOptions = TLSOptions()) {
        self.name = name
        self.kind = kind
        self.url = url
        self.trustDomain = trustDomain
        self.remoteModel = remoteModel
        self.remoteLayer = remoteLayer
        self.tls = tls
    }

    /// `url` joined with an absolute path, without a doubled slash.
    public func url(path: String) -> String {
        (url.hasSuffix("/") ? String(url.dropLast()) : url) + path
    }
}
