/// The gateway's version, as `GET /v2` and `eis-gateway --version` report it.
public enum GatewayVersion {
    /// Semantic version of this build.
    public static let current = "0.3.0"
}
