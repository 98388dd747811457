import EISBackend

extension GatewayMetrics {
    /// The HTTP statuses `eis_requests_total` is created with for every model: success and the
    /// gateway's own failures, the numerator and denominator of an error-ratio alert.
    static let knownRequestCodes = ["200", "500", "503", "504"]

    /// Creates, at zero, every series whose label values the configuration already fixes.
    ///
    /// Prometheus's `rate()` and `increase()` need a series before its first event, or the
    /// first failover, ejection or reload is invisible to an alert (it starts the series, and
    /// a one-sample series has no rate). Labels are the configured model, layer and backend
    /// names and fixed code sets, so the count stays bounded. Calling it again (a reload)
    /// touches the same handles and changes no value.
    func createKnownSeries(models: [(name: String, layers: [String], backends: [String])]) {
        _ = counter("eis_config_reloads_total", [("result", "success")])
        _ = counter("eis_config_reloads_total", [("result", "failure")])
        let failoverReasons = ["fresh_sharing"] + BackendError.allShortDescriptions
        let outcomes = ["ok"] + BackendError.allShortDescriptions
        for model in models {
            for code in Self.knownRequestCodes { _ = counter("eis_requests_total", [("model", model.name), ("code", code)]) }
            _ = timer("eis_request_duration_seconds", [("model", model.name)])
            for reason in failoverReasons { _ = counter("eis_failovers_total", [("model", model.name), ("reason", reason)]) }
            for layer in model.layers { _ = counter("eis_fixed_point_overflows_total", [("model", model.name), ("layer", layer)]) }
            _ = counter("eis_hedges_total", [("model", model.name)])
            _ = counter("eis_padding_rows_total", [("model", model.name)])
            _ = counter("eis_cover_batches_total", [("model", model.name)])
            _ = histogram("eis_batch_rows", [("model", model.name)])
            _ = histogram("eis_batch_requests", [("model", model.name)])
            for backend in model.backends {
                _ = counter("eis_ejections_total", [("backend", backend)])
                _ = timer("eis_backend_request_duration_seconds", [("backend", backend)])
                for outcome in outcomes { _ = counter("eis_backend_requests_total", [("backend", backend), ("outcome", outcome)]) }
            }
        }
    }
}
