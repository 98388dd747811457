public import EISBackend
public import EISCore

/// Everything gateway.conf says, with documented defaults (keys: `GatewayConfiguration+TOML.swift`).
public struct GatewayConfiguration: Sendable, Equatable {
    /// Where the gateway listens. Default `127.0.0.1:8080`: loopback, because applications on
    /// this host are the only clients a client-side gateway should have.
    public var listenHost: String = "127.0.0.1"
    /// Listening port (0 picks a free one).
    public var listenPort: Int = 8080
    /// Largest accepted request body in bytes. Default 1 MiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Most input rows in one request. Default 1024.
    public var maxRowsPerRequest: Int = 1024
    /// Time from receiving a request to answering it, across every backend call. Default 5 s.
    public var requestTimeout: Duration = .seconds(5)
    /// Longest wait for one backend call (default 1 s, capped by the request's deadline), so a
    /// hung backend leaves time to fail over to a spare.
    public var backendTimeout: Duration = .seconds(1)
    /// Send a share to a spare as well when its backend runs past its own p95 latency; the
    /// first answer wins. Costs extra backend calls. Default off.
    public var hedging = false
    /// Name of an environment variable holding a bearer token; when set, every route but
    /// `/healthz` needs `Authorization: Bearer <token>`. Default: no token (loopback only).
    public var authTokenEnv: String?
    /// Host names (besides the listen address) that `Host` may name; a web page reaching the
    /// gateway through DNS rebinding carries its own name there and is refused. Default none.
    public var allowedHosts: [String] = []
    /// Origins (`scheme://host[:port]`) whose browser requests are served; any other request
    /// with an `Origin` header is refused. Default none: browsers are refused.
    public var allowedOrigins: [String] = []
    /// A connection that sends nothing for this long is closed. Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// A request whose body has not arrived in full this long after its head is dropped, with
    /// its connection. Default 10 s.
    public var bodyTimeout: Duration = .seconds(10)
    /// Most connections open at once; one more gets 503 `too_many_connections`. Default 256.
    public var maxConnections = 256
    /// Coalescing of concurrent requests and padding of batches to fixed sizes.
    public var batching = BatchingConfiguration()
    /// Log level name. Default `info`.
    public var logLevel: String = "info"
    /// `text` (swift-log's lines, the default) or `json` (one object per line, for log shippers);
    /// launched servers log the same way.
    public var logFormat: String = "text"
    /// Path of the `eis-server` binary used for `launch = true` backends; default: next to
    /// the gateway's own executable.
    public var serverBinary: String?
    /// Active health checks (`[health]`).
    public var health = HealthCheckConfiguration()
    /// Passive outlier detection (`[outlier]`).
    public var outlier = OutlierConfiguration()
    /// The models served.
    public var models: [ModelConfiguration] = []

    /// Creates a configuration with every default.
    public init() {}
}

/// One model: its local file (for the bias, shape and digest checks) and its backends.
public struct ModelConfiguration: Sendable, Equatable {
    /// Name clients use in `"model"`.
    public var name: String
    /// Path of the safetensors file, or of the model folder for `kind = "bert-encoder"`.
    public var path: String
    /// What `path` holds (default `safetensors`).
    public var kind: ModelKind = .safetensors
    /// Layer to serve; may be omitted when the file has exactly one.
    public var layer: String?
    /// A sequential network instead of one layer: layer names from the file (each one share
    /// round) and local operations (`relu`, `gelu`, `tanh`, `sigmoid`, `softmax`,
    /// `l2_normalize`), in order, e.g. `["fc1", "relu", "fc2", "softmax"]`. Excludes `layer`.
    public var steps: [String]?
    /// Number of shares `k` per input (default 2, at least 2; 3 with replicated sharing).
    public var shares: Int = 2
    /// `additive` (default: one share per backend) or `replicated-2of3` (three shares, two per
    /// backend, three trust domains; ring64 only).
    public var sharing: SharingScheme = .additive
    /// Input fractional bits `fx` (default 22).
    public var inputFractionBits: Int = Defaults.inputFractionBits
    /// Weight fractional bits `fw` the backends must use (default 26).
    public var weightFractionBits: Int = Defaults.weightFractionBits
    /// The sharing's arithmetic: `ring64` (default: exact, perfectly private) or, for float-only
    /// backends, `float32`/`float64` (approximate, leaks a bounded amount; see `FloatMasking`).
    public var arithmetic: Arithmetic = .ring64
    /// Which layers have every partial verified: `auto` (default: where the check costs at most
    /// 10 % of the layer's product), `freivalds` (every layer) or `off`. Ring64 only.
    public var verify: VerificationMode = .auto
    /// Must be true for a float arithmetic: float sharing is never used by accident.
    public var allowFloatSharing = false
    /// Float masks are uniform in `[−R, R]`; required for float arithmetics (no default, because
    /// it sets both the leakage and the error; README "Float backends" has a table).
    public var floatMaskRange: Double?
    /// Dummy batches per second sent to this model's backends when no real batch was sent in
    /// the last interval, so a backend cannot tell an idle gateway from a lightly used one.
    /// Default 0 (off).
    public var coverTrafficRPS: Double = 0
    /// The input tensor's name on the Open Inference routes (`/v2/models/{name}/infer`), so an
    /// application written against a model with other names works unchanged. Default `input`.
    public var v2InputName = "input"
    /// The output tensor's name on the Open Inference routes. Default `output`.
    public var v2OutputName = "output"
    /// Allow backends in different trust domains at one host and port (one server under two
    /// labels is one operator). Default false: such a configuration is refused.
    public var allowSharedEndpoints = false
    /// The backends that hold this model, at least `shares` of them in distinct trust domains.
    public var backends: [BackendConfiguration] = []

    /// Creates a model entry.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// One backend of a model.
public struct BackendConfiguration: Sendable, Equatable {
    /// Unique name (a metric label); default `<model>-<index>`.
    public var name: String
    /// Plugin kind (default `eis`).
    public var kind: String = "eis"
    /// Base URL; absent when `launch` is true.
    public var url: String?
    /// Start a local `eis-server` for this backend (a demo: it gives no real privacy).
    public var launch: Bool = false
    /// Who operates the server; shares of one sharing go to distinct trust domains.
    public var trustDomain: String
    /// Relative capacity for least-loaded selection (default 1).
    public var weight: Double = 1
    /// Model name on the backend (default: the model's name).
    public var remoteModel: String?
    /// Layer name on the backend (default: the model's layer).
    public var remoteLayer: String?
    /// The `fw` the backend's weights were encoded with, for protocols that cannot report it
    /// (kserve-v2 INT64 models); it must equal the model's. Default: the model's.
    public var weightFractionBits: Int?
    /// The backend adds the bias itself (float arithmetics only); the gateway subtracts it once
    /// per such share. Default false.
    public var addsBias = false
    /// Plugin-specific settings (`[models.backends.options]`), checked by the plugin.
    public var options: [String: BackendOption] = [:]
    /// PEM bundle of CAs to verify the backend's certificate with (default: the system's).
    public var caFile: String?
    /// PEM client certificate for mutual TLS (with `clientKey`).
    public var clientCertificate: String?
    /// PEM private key of `clientCertificate`.
    public var clientKey: String?
    /// SPKI pin(s) of the backend's public key, `sha256//BASE64` (several joined by `;`).
    public var pinSHA256: String?
    /// Header to send the secret in (default `Authorization`), when `authEnv` is set.
    public var authHeader: String = "Authorization"
    /// Name of the environment variable holding the header's value (never the value itself).
    public var authEnv: String?
    /// Allow `http://` to a non-loopback backend (shares then cross the network in clear). Default false.
    public var allowPlaintext = false

    /// Creates a backend entry.
    public init(name: String, trustDomain: String, url: String? = nil, launch: Bool = false) {
        self.name = name
        self.trustDomain = trustDomain
        self.url = url
        self.launch = launch
    }
}

/// Active health checks: every backend is probed (health endpoint, then its layer's digest).
public struct HealthCheckConfiguration: Sendable, Equatable {
    /// Time between rounds. Default 2 s.
    public var interval: Duration = .seconds(2)
    /// Time allowed for one check. Default 1 s.
    public var timeout: Duration = .seconds(1)
    /// Failed checks in a row that mark a backend unhealthy. Default 2.
    public var unhealthyThreshold = 2
    /// Passed checks in a row that mark it healthy again. Default 1.
    public var healthyThreshold = 1

    /// Creates the defaults.
    public init() {}
}

/// Passive outlier detection: backends whose calls keep failing are ejected for a while.
public struct OutlierConfiguration: Sendable, Equatable {
    /// Failed calls in a row that eject a backend. Default 3.
    public var consecutiveFailures = 3
    /// First ejection's length; each further one doubles it. Default 2 s.
    public var baseEjection: Duration = .seconds(2)
    /// Longest ejection. Default 60 s.
    public var maxEjection: Duration = .seconds(60)

    /// Creates the defaults.
    public init() {}
}
