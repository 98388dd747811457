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
    /// Layers whose name on the backend differs from the gateway's (gateway name → remote
    /// name, `remote_layer` in gateway.conf); every other layer has the same name on both.
    public var remoteLayerNames: [String: String]
    /// TLS settings for this backend.
    public var tls: TLSOptions
    /// Fractional bits of the backend's encoded weights as the configuration states them, for
    /// protocols that cannot report them (KServe V2); nil when the backend reports its own.
    public var weightFractionBits: Int?
    /// Whether the backend adds the layer's bias to its partial result (the gateway then
    /// subtracts it once for this share, so the bias still counts exactly once).
    public var addsBias: Bool
    /// Plugin-specific settings (`options` in gateway.conf), checked by the plugin's factory.
    public var options: BackendOptions
    /// Header fields sent with every request (an operator's API key); values are secrets and
    /// never appear in `description` or logs.
    public var headers: [HeaderField]
    /// The layer shape the gateway expects, for protocols that cannot describe their layer and
    /// must be probed (matmul-json); `describeLayer` still reports what the server does.
    public var expectedShape: LayerShape?

    /// Creates an endpoint.
    public init(
        name: String, kind: String, url: String, trustDomain: String, remoteModel: String, remoteLayerNames: [String: String] = [:],
        tls: TLSOptions = TLSOptions(), weightFractionBits: Int? = nil, addsBias: Bool = false, options: BackendOptions = BackendOptions()
    ) {
        self.name = name
        self.kind = kind
        self.url = url
        self.trustDomain = trustDomain
        self.remoteModel = remoteModel
        self.remoteLayerNames = remoteLayerNames
        self.tls = tls
        self.weightFractionBits = weightFractionBits
        self.addsBias = addsBias
        self.options = options
        self.expectedShape = nil
        self.headers = []
    }

    /// The backend's name for the gateway's layer `layer`.
    public func remoteName(ofLayer layer: String) -> String {
        remoteLayerNames[layer] ?? layer
    }

    /// `url` joined with an absolute path, without a doubled slash.
    public func url(path: String) -> String {
        (url.hasSuffix("/") ? String(url.dropLast()) : url) + path
    }

    /// A request to `path` on this backend with its TLS settings and its configured headers.
    public func request(
        _ method: HTTPMethod, path: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []
    ) -> HTTPClientRequest {
        HTTPClientRequest(method: method, url: url(path: path), headers: headers + self.headers.map { ($0.name, $0.value) },
                          body: body, tls: tls)
    }
}

extension BackendEndpoint: CustomStringConvertible {
    /// Name, kind and URL only: header values are secrets.
    public var description: String { "\(name) (\(kind) at \(url), trust domain \(trustDomain))" }
}

/// One HTTP header field.
public struct HeaderField: Sendable, Hashable {
    /// Field name, e.g. `Authorization`.
    public var name: String
    /// Field value.
    public var value: String

    /// Creates a field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
