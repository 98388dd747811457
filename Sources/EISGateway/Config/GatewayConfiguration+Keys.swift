import Foundation

extension GatewayConfiguration {
    /// Every key gateway.conf accepts, by table: the loader refuses any other, and a test holds
    /// the README's configuration reference to exactly this list.
    enum Keys {
        /// Top-level tables.
        static let root: Set<String> = ["gateway", "health", "outlier", "models"]
        /// `[gateway]`.
        static let gateway: Set<String> = [
            "listen", "max_body_bytes", "max_rows_per_request", "request_timeout_ms", "backend_timeout_ms", "hedging",
            "log_level", "log_format", "server_binary", "auth_token_env", "batching", "max_batch", "max_delay_ms", "padding_buckets",
            "allowed_hosts", "allowed_origins", "idle_timeout_ms", "body_timeout_ms", "max_connections",
        ]
        /// `[health]`.
        static let health: Set<String> = ["interval_ms", "timeout_ms", "unhealthy_threshold", "healthy_threshold"]
        /// `[outlier]`.
        static let outlier: Set<String> = ["consecutive_failures", "base_ejection_ms", "max_ejection_ms"]
        /// `[[models]]` (with `backends`, the `[[models.backends]]` array of tables).
        static let model: Set<String> = [
            "name", "path", "kind", "layer", "steps", "shares", "sharing", "input_frac_bits", "weight_frac_bits", "arithmetic", "verify", "allow_float_sharing",
            "float_mask_range", "cover_traffic_rps", "v2_input_name", "v2_output_name", "allow_shared_endpoints", "backends",
        ]
        /// `[[models.backends]]`.
        static let backend: Set<String> = [
            "name", "kind", "url", "launch", "trust_domain", "weight", "remote_model", "remote_layer", "weight_frac_bits", "adds_bias",
            "options", "ca_file", "client_cert", "client_key", "pin_sha256", "auth_header", "auth_env", "allow_plaintext",
        ]

        /// The keys of the table at `path`, as the loader and the validation messages name it
        /// (`""` for the root, `"gateway"`, `"models[2]"`, `"models[2].backends[0]"`); nil for a
        /// table of free keys (a backend's `options`). The one list every reader of a key, every
        /// message naming one, `--check-config` and the README table are checked against.
        static func allowed(at path: String) -> Set<String>? {
            switch path.replacingOccurrences(of: #"\[[0-9]+\]"#, with: "[]", options: .regularExpression) {
            case "": root
            case "gateway": gateway
            case "health": health
            case "outlier": outlier
            case "models[]": model
            case "models[].backends[]": backend
            default: nil
            }
        }
    }
}
