import Foundation
import EISCore

extension GatewayConfiguration {
    /// Cross-field checks; every problem with its key path. Empty means valid.
    ///
    /// Checks the privacy rule that placement relies on: each model has at least `shares`
    /// backends in at least `shares` distinct trust domains, so two shares of one sharing can
    /// always go to different operators.
    public func validationProblems() -> [String] {
        var problems = [String]()
        if !(1...(64 << 20)).contains(maxBodyBytes) { problems.append("gateway.max_body_bytes: must be in 1...67108864") }
        if maxRowsPerRequest < 1 { problems.append("gateway.max_rows_per_request: must be at least 1") }
        if requestTimeout <= .zero { problems.append("gateway.request_timeout_ms: must be positive") }
        if backendTimeout <= .zero { problems.append("gateway.backend_timeout_ms: must be positive") }
        problems += batching.validationProblems()
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            problems.append("gateway.log_level: unknown level \"\(logLevel)\"")
        }
        if !["text", "json"].contains(logFormat) {
            problems.append("gateway.log_format: must be \"text\" or \"json\", got \"\(logFormat)\"")
        }
        if let name = authTokenEnv, !Self.isEnvironmentName(name) {
            problems.append("gateway.auth_token_env: \"\(name)\" is not an environment variable name (the token itself never goes in the file)")
        }
        if idleTimeout <= .zero { problems.append("gateway.idle_timeout_ms: must be positive") }
        if bodyTimeout <= .zero { problems.append("gateway.body_timeout_ms: must be positive") }
        if !(1...65_536).contains(maxConnections) { problems.append("gateway.max_connections: must be in 1...65536") }
        for (index, host) in allowedHosts.enumerated()
        where host.isEmpty || !host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:[]".contains($0)) }) {
            problems.append("gateway.allowed_hosts[\(index)]: \"\(host.prefix(100))\" is not a host name")
        }
        for (index, origin) in allowedOrigins.enumerated()
        where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.dropFirst(8).contains("/") {
            problems.append("gateway.allowed_origins[\(index)]: expected scheme://host[:port], as browsers send it, got \"\(origin.prefix(100))\"")
        }
        if health.interval <= .zero { problems.append("health.interval_ms: must be positive") }
        if health.timeout <= .zero { problems.append("health.timeout_ms: must be positive") }
        if health.unhealthyThreshold < 1 { problems.append("health.unhealthy_threshold: must be at least 1") }
        if health.healthyThreshold < 1 { problems.append("health.healthy_threshold: must be at least 1") }
        if outlier.consecutiveFailures < 1 { problems.append("outlier.consecutive_failures: must be at least 1") }
        if outlier.baseEjection <= .zero || outlier.baseEjection > .seconds(3600) {
            problems.append("outlier.base_ejection_ms: must be in 1...3600000")
        }
        if outlier.maxEjection < outlier.baseEjection { problems.append("outlier.max_ejection_ms: must be at least base_ejection_ms") }
        if models.isEmpty { problems.append("models: at least one [[models]] entry is required") }
        var modelNames = Set<String>(), backendNames = Set<String>()
        for (index, model) in models.enumerated() {
            let path = "models[\(index)]"
            if model.name.isEmpty { problems.append("\(path).name: must not be empty") }
            if !modelNames.insert(model.name).inserted { problems.append("\(path).name: \"\(model.name)\" is used twice") }
            if model.shares < 2 { problems.append("\(path).shares: must be at least 2 (one share alone is the input)") }
            if model.sharing == .replicated2of3 {
                if model.shares != 3 { problems.append("\(path).shares: replicated-2of3 sharing uses exactly 3 shares, not \(model.shares)") }
                if model.arithmetic != .ring64 { problems.append("\(path).sharing: replicated-2of3 shares in ring64 only") }
            }
            if !(0...40).contains(model.inputFractionBits) { problems.append("\(path).input_frac_bits: must be in 0...40") }
            if !(0...40).contains(model.weightFractionBits) { problems.append("\(path).weight_frac_bits: must be in 0...40") }
            let headroom = 63 - model.inputFractionBits - model.weightFractionBits
            if headroom < 1 {
                problems.append("\(path): input_frac_bits + weight_frac_bits = \(model.inputFractionBits + model.weightFractionBits) leaves no output headroom (must be ≤ 62)")
            }
            for (key, name) in [("v2_input_name", model.v2InputName), ("v2_output_name", model.v2OutputName)]
            where name.isEmpty || name.utf8.count > 128 || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problems.append("\(path).\(key): must be 1 to 128 characters, none of them control characters")
            }
            if model.kind == .bertEncoder {
                if model.layer != nil || model.steps != nil {
                    problems.append("\(path): layer and steps do not apply to kind = \"bert-encoder\" (the folder's config.json says what the encoder is)")
                }
                if model.arithmetic != .ring64 {
                    problems.append("\(path).arithmetic: an encoder shares in ring64 only (each hidden layer is a fresh exact round)")
                }
                for (backendIndex, backend) in model.backends.enumerated() where backend.remoteLayer != nil {
                    problems.append("\(path).backends[\(backendIndex)].remote_layer: applies to one-layer models only; an encoder's backends serve its layers under their own names")
                }
            }
            if let steps = model.steps {
                if model.layer != nil { problems.append("\(path): layer and steps exclude each other (steps names every layer it uses)") }
                if steps.isEmpty { problems.append("\(path).steps: must name at least one layer") }
                if model.arithmetic != .ring64 {
                    problems.append("\(path).steps: a model of steps shares in ring64 only (each hidden layer is a fresh exact round)")
                }
                for (backendIndex, backend) in model.backends.enumerated() where backend.remoteLayer != nil {
                    problems.append("\(path).backends[\(backendIndex)].remote_layer: applies to one-layer models only; with steps, backends serve the layers under their own names")
                }
            }
            if !(model.coverTrafficRPS >= 0 && model.coverTrafficRPS <= 1000) {
                problems.append("\(path).cover_traffic_rps: must be in 0...1000")
            }
            if model.arithmetic != .ring64 {
                if model.verify == .freivalds {
                    // Float partials carry rounding error, so no exact check can accept them (docs/VERIFICATION.md).
                    problems.append("\(path).verify: freivalds checks exact ring64 partials only; \(model.arithmetic) partials are rounded (use \"auto\" or \"off\")")
                }
                if !model.allowFloatSharing {
                    problems.append("\(path).arithmetic: \(model.arithmetic) sharing leaks information about inputs; set allow_float_sharing = true to accept that (README, \"Float backends\")")
                }
                if let range = model.floatMaskRange {
                    // Positive; below 2^-20 the grid's spacing is absurdly fine, and above 2^50 a
                    // float32 grid could not even hold an input of 1.
                    if !(range > 0 && range.isFinite) {
                        problems.append("\(path).float_mask_range: must be a positive number")
                    } else if !(range >= 0x1p-20 && range <= 0x1p50) {
                        problems.append("\(path).float_mask_range: must be between 2^-20 and 2^50")
                    }
                } else {
                    problems.append("\(path).float_mask_range: required for \(model.arithmetic) sharing (it sets the leakage and the error)")
                }
            } else if model.floatMaskRange != nil || model.allowFloatSharing {
                problems.append("\(path): allow_float_sharing and float_mask_range apply only to float arithmetics (arithmetic is ring64)")
            }
            for (backendIndex, backend) in model.backends.enumerated() {
                let backendPath = "\(path).backends[\(backendIndex)]"
                if !backendNames.insert(backend.name).inserted {
                    problems.append("\(backendPath).name: \"\(backend.name)\" is used twice")
                }
                if backend.trustDomain.isEmpty { problems.append("\(backendPath).trust_domain: must not be empty") }
                if !(backend.weight > 0 && backend.weight.isFinite) { problems.append("\(backendPath).weight: must be a positive number") }
                switch (backend.url, backend.launch) {
                case (nil, false): problems.append("\(backendPath): needs a url, or launch = true")
                case (.some, true): problems.append("\(backendPath): url and launch = true exclude each other")
                case (.some(let url), false) where !(url.hasPrefix("http://") || url.hasPrefix("https://")):
                    problems.append("\(backendPath).url: must start with http:// or https://")
                default: break
                }
                if backend.addsBias && model.arithmetic == .ring64 {
                    problems.append("\(backendPath).adds_bias: only float backends may add the bias (ring64 partials must be W·xᵢ alone)")
                }
                if let bits = backend.weightFractionBits, bits != model.weightFractionBits {
                    problems.append("\(backendPath).weight_frac_bits: \(bits) differs from the model's \(model.weightFractionBits); shares of one sharing must use one fw")
                }
                problems += Self.channelProblems(backend, path: backendPath)
                if backend.launch && backend.kind != "eis" {
                    problems.append("\(backendPath).launch: only kind \"eis\" backends can be launched")
                }
            }
            if !model.allowSharedEndpoints { problems += Self.sharedEndpointProblems(model, path: path) }
            let domains = Set(model.backends.map(\.trustDomain))
            if model.backends.count < model.shares || domains.count < model.shares {
                problems.append("\(path).backends: \(model.shares) shares need at least \(model.shares) backends in distinct trust domains; found \(model.backends.count) backends in \(domains.count) trust domains")
            }
        }
        return problems
    }
}

extension GatewayConfiguration {
    /// TLS, authentication and plaintext checks for one backend.
    static func channelProblems(_ backend: BackendConfiguration, path: String) -> [String] {
        var problems = [String]()
        if (backend.clientCertificate == nil) != (backend.clientKey == nil) {
            problems.append("\(path): client_cert and client_key go together (mutual TLS needs both)")
        }
        if let pin = backend.pinSHA256 {
            let pins = pin.split(separator: ";", omittingEmptySubsequences: false)
            if pins.isEmpty || !pins.allSatisfy({ $0.hasPrefix("sha256//") && $0.count == 8 + 44 && $0.hasSuffix("=") }) {
                problems.append("\(path).pin_sha256: expected \"sha256//\" and 44 base64 characters (several joined by ';'), as examples/make-certs.sh prints")
            }
        }
        if let name = backend.authEnv, !isEnvironmentName(name) {
            problems.append("\(path).auth_env: \"\(name)\" is not an environment variable name (the secret itself never goes in the file)")
        }
        if backend.authHeader.isEmpty || !backend.authHeader.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            problems.append("\(path).auth_header: not a header name")
        }
        if let url = backend.url, url.hasPrefix("http://") {
            let usesTLSKeys = backend.caFile != nil || backend.clientCertificate != nil || backend.pinSHA256 != nil
            if usesTLSKeys {
                problems.append("\(path): ca_file, client_cert and pin_sha256 need an https:// url")
            }
            if !backend.allowPlaintext && !isLoopback(url: url) {
                problems.append("\(path).url: plain http:// to a host that is not loopback sends shares in clear; use https://, or set allow_plaintext = true")
            }
        }
        return problems
    }

    /// Backends of one model at one host and port under different trust domains: one server
    /// under two labels is one operator, and would see two shares of an input. Loopback names
    /// count as one host. (Two names that resolve to one address cannot be seen here.)
    static func sharedEndpointProblems(_ model: ModelConfiguration, path: String) -> [String] {
        var seen = [String: (index: Int, domain: String)]()
        var problems = [String]()
        for (index, backend) in model.backends.enumerated() {
            guard let url = backend.url, let key = endpointKey(url) else { continue }
            if let first = seen[key] {
                if first.domain != backend.trustDomain {
                    problems.append("\(path).backends[\(index)].url: the same host and port as backends[\(first.index)] (\(key)) in another trust domain (\"\(backend.trustDomain)\" vs \"\(first.domain)\"): one server is one operator; set allow_shared_endpoints = true only if two operators really share this address")
                }
            } else {
                seen[key] = (index, backend.trustDomain)
            }
        }
        return problems
    }

    /// `host:port` of a URL, the host lowercased (every loopback name as `loopback`) and the
    /// port defaulted by scheme; nil when it has no host.
    static func endpointKey(_ url: String) -> String? {
        guard let components = URLComponents(string: url), var host = components.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if isLoopback(host: host) { host = "loopback" }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(host):\(port)"
    }

    /// Whether a URL's host is this machine (127.0.0.0/8, ::1 or localhost).
    static func isLoopback(url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.prefix { $0 != ":" }
        }
        return isLoopback(host: String(host))
    }

    /// Whether a bare host (no brackets, no port) is this machine: `localhost`, `::1`, or
    /// 127.0.0.0/8 as a canonical dotted quad. Nothing else: `0127.0.0.1`, `127.1`, `+127.0.0.1`
    /// or `0x7f.0.0.1` may be read by a resolver as another address, or not as an address at all.
    static func isLoopback(host: String) -> Bool {
        if host.lowercased() == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { octet in
            // Decimal digits only, no leading zero, at most 255.
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy { $0.isASCII && $0.isNumber }
                && (octet == "0" || octet.first != "0") && Int(octet).map { $0 <= 255 } == true
        }
    }

    /// A POSIX-style environment variable name: letters, digits and `_`, not starting with a digit.
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
