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
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            problems.append("gateway.log_level: unknown level \"\(logLevel)\"")
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
            if !(0...40).contains(model.inputFractionBits) { problems.append("\(path).input_frac_bits: must be in 0...40") }
            if !(0...40).contains(model.weightFractionBits) { problems.append("\(path).weight_frac_bits: must be in 0...40") }
            let headroom = 63 - model.inputFractionBits - model.weightFractionBits
            if headroom < 1 {
                problems.append("\(path): input_frac_bits + weight_frac_bits = \(model.inputFractionBits + model.weightFractionBits) leaves no output headroom (must be ≤ 62)")
            }
            if model.arithmetic != .ring64 {
                if !model.allowFloatSharing {
                    problems.append("\(path).arithmetic: \(model.arithmetic) sharing leaks information about inputs; set allow_float_sharing = true to accept that (README, \"Float backends\")")
                }
                if let range = model.floatMaskRange {
                    if !(range > 0 && range.isFinite) { problems.append("\(path).float_mask_range: must be a positive number") }
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
                if backend.launch && backend.kind != "eis" {
                    problems.append("\(backendPath).launch: only kind \"eis\" backends can be launched")
                }
            }
            let domains = Set(model.backends.map(\.trustDomain))
            if model.backends.count < model.shares || domains.count < model.shares {
                problems.append("\(path).backends: \(model.shares) shares need at least \(model.shares) backends in distinct trust domains; found \(model.backends.count) backends in \(domains.count) trust domains")
            }
        }
        return problems
    }
}
