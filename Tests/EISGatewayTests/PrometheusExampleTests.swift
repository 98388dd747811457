import CurlTransport
import EISLaunch
import EISTestSupport
import Foundation
import Testing

/// `examples/prometheus/` against a real Prometheus scraping a real `eis-gateway` and its
/// `eis-server` processes: the files pass `promtool`, every rule and every dashboard expression
/// evaluates without error and returns data, and the backend-down alerts fire when a server dies.
@Suite(.serialized)
struct PrometheusExampleTests {
    static let directory = ProcessPaths.packageRoot + "/examples/prometheus"
    /// Metrics another change brings (verification, issue 16); until they exist, expressions
    /// on them must be valid but cannot return data.
    static let pendingMetrics = ["eis_verification_failures_total"]

    @Test(.timeLimit(.minutes(1)))
    func promtoolAcceptsTheConfigurationAndTheRules() async throws {
        let config = try await ExternalCommand.run("promtool", ["check", "config", Self.directory + "/prometheus.yml"], timeout: .seconds(30))
        #expect(config.status == 0, "\(config.standardOutput)\(config.standardError)")
        let rules = try await ExternalCommand.run("promtool", ["check", "rules", Self.directory + "/alerts.yml"], timeout: .seconds(30))
        #expect(rules.status == 0, "\(rules.standardOutput)\(rules.standardError)")
    }

    /// Every `expr` of every panel of the Grafana dashboard, with Grafana's `$__rate_interval` set to 1m.
    static func dashboardExpressions() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/grafana-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        return panels.flatMap { ($0["targets"] as? [[String: Any]]) ?? [] }.compactMap { $0["expr"] as? String }
            .map { $0.replacingOccurrences(of: "$__rate_interval", with: "1m") }
    }

    @Test(.timeLimit(.minutes(3)))
    func everyRuleAndDashboardExpressionReturnsDataFromARealPrometheus() async throws {
        let dashboard = try Self.dashboardExpressions()
        #expect(dashboard.count >= 15)
        let health = "[health]\ninterval_ms = 200\ntimeout_ms = 500\nunhealthy_threshold = 1\n"
        try await withProcessDeployment(servers: 2, sections: health) { deployment in
            let gatewayTarget = "127.0.0.1:" + (deployment.url.split(separator: ":").last.map(String.init) ?? "")
            let serverTargets = deployment.servers.map { "\"127.0.0.1:\($0.port)\"" }.joined(separator: ", ")
            let configuration = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - \(Self.directory)/alerts.yml
            scrape_configs:
              - job_name: eis-gateway
                static_configs:
                  - targets: ["\(gatewayTarget)"]
              - job_name: eis-server
                static_configs:
                  - targets: [\(serverTargets)]
            """
            let exposition = String(decoding: try await deployment.client.execute(
                HTTPClientRequest(method: .get, url: deployment.url + "/metrics"), timeout: .seconds(5)).body, as: UTF8.self)
            try await withPrometheus(configuration: configuration, client: deployment.client) { prometheus in
                // Traffic across several scrapes, so rates and quantiles have something to say.
                let end = ContinuousClock.now + .seconds(4)
                while ContinuousClock.now < end {
                    #expect(try await deployment.infer().status == 200)
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await Self.waitForData("up == 1", series: 3, prometheus, deployment.client)
                try await Self.waitForData("eis:request_error_ratio:rate5m", series: 1, prometheus, deployment.client)
                let rules = try await Self.loadedRules(prometheus, deployment.client)
                #expect(rules.count == 12)
                for rule in rules {
                    #expect(rule.health == "ok", "rule \(rule.name): \(rule.lastError ?? "")")
                }
                let recording = rules.filter { $0.type == "recording" }.map(\.query)
                for expression in dashboard + recording {
                    let result = try await prometheus.query(expression, client: deployment.client)
                    #expect(result.status == "success", "\(expression): \(result.error ?? "")")
                    let pending = Self.pendingMetrics.contains { expression.contains($0) && !exposition.contains($0) }
                    #expect(pending || result.count > 0, "no data for \(expression)")
                }
                // Alert expressions are empty while all is well; each must still evaluate.
                for alert in rules.filter({ $0.type == "alerting" }) {
                    let result = try await prometheus.query(alert.query, client: deployment.client)
                    #expect(result.status == "success", "\(alert.name): \(result.error ?? "")")
                }
                // A share server dies: its backend is down, and two shares cannot find two trust domains.
                await deployment.servers[1].kill()
                let alerts = Dictionary(uniqueKeysWithValues: rules.filter { $0.type == "alerting" }.map { ($0.name, $0.query) })
                for name in ["EISBackendDown", "EISTooFewTrustDomains", "EISShareServerDown"] {
                    try await Self.waitForData(try #require(alerts[name]), series: 1, prometheus, deployment.client)
                }
            }
        }
    }

    /// A rule as `/api/v1/rules` lists it.
    struct LoadedRule {
        var name: String
        var type: String
        var query: String
        var health: String
        var lastError: String?
    }

    /// The rules Prometheus loaded from `alerts.yml`, after each has been evaluated at least once.
    static func loadedRules(_ prometheus: PrometheusProcess, _ client: CurlHTTPClient) async throws -> [LoadedRule] {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let object = try await prometheus.get("/api/v1/rules", client: client)
            let groups = ((object["data"] as? [String: Any])?["groups"] as? [[String: Any]]) ?? []
            let rules = groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }.map { rule in
                LoadedRule(name: rule["name"] as? String ?? "", type: rule["type"] as? String ?? "", query: rule["query"] as? String ?? "",
                           health: rule["health"] as? String ?? "", lastError: rule["lastError"] as? String)
            }
            if (!rules.isEmpty && rules.allSatisfy { $0.health != "unknown" }) || ContinuousClock.now > deadline { return rules }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Waits until `expression` returns at least `series` series.
    static func waitForData(_ expression: String, series: Int, _ prometheus: PrometheusProcess, _ client: CurlHTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = PrometheusProcess.QueryResult(status: "", error: nil, count: 0)
        while ContinuousClock.now < deadline {
            last = try await prometheus.query(expression, client: client)
            if last.status == "success" && last.count >= series { return }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw PrometheusProcess.Failure("\(expression): \(last.count) series (wanted \(series)) \(last.error ?? "") after 30 s; log: \(prometheus.logPath)")
    }
}
