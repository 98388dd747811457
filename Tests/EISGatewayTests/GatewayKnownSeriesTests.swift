import EISBackend
@testable import EISGateway
import Testing

/// Metrics for alerting: series with known labels exist at zero from start, names follow
/// Prometheus conventions, and the build is labelled.
@Suite(.serialized)
struct GatewayKnownSeriesTests {
    @Test func everySeriesWithKnownLabelsExistsAtZeroBeforeTheFirstEvent() async throws {
        try await withDemoDeployment { _, gateway in
            let text = String(decoding: gateway.metrics.render(), as: UTF8.self)
            var expected = [
                #"eis_config_reloads_total{result="success"} 0"#, #"eis_config_reloads_total{result="failure"} 0"#,
                #"eis_build_info{version="\#(GatewayVersion.current)"} 1"#,
                #"eis_model_trust_domains_up{model="demo"} 2"#, #"eis_model_shares{model="demo"} 2"#,
                #"eis_hedges_total{model="demo"} 0"#, #"eis_padding_rows_total{model="demo"} 0"#, #"eis_cover_batches_total{model="demo"} 0"#,
                #"eis_failovers_total{model="demo",reason="fresh_sharing"} 0"#,
                #"eis_fixed_point_overflows_total{model="demo",layer="fc"} 0"#,
                #"eis_requests_total{model="demo",code="200"} 0"#, #"eis_requests_total{model="demo",code="503"} 0"#,
                #"eis_request_duration_seconds_count{model="demo"} 0"#, #"eis_batch_rows_count{model="demo"} 0"#,
            ]
            for backend in ["backend-0", "backend-1"] {
                expected.append(#"eis_ejections_total{backend="\#(backend)"} 0"#)
                expected.append(#"eis_backend_requests_total{backend="\#(backend)",outcome="ok"} 0"#)
                expected.append(#"eis_backend_request_duration_seconds_count{backend="\#(backend)"} 0"#)
                for code in BackendError.allShortDescriptions {
                    expected.append(#"eis_backend_requests_total{backend="\#(backend)",outcome="\#(code)"} 0"#)
                    expected.append(#"eis_failovers_total{model="demo",reason="\#(code)"} 0"#)
                }
            }
            for line in expected {
                // Counters print integers, gauges decimals ("1.0"): compare the numbers.
                guard let space = line.lastIndex(of: " ") else { continue }
                let series = String(line[..<space]), value = Double(line[line.index(after: space)...])
                #expect(GatewayProbe.value(of: series, in: text) == value, "\(series): want \(value ?? .nan)")
            }
        }
    }

    @Test func aReloadKeepsCountsAndCreatesNoSeriesTwice() async throws {
        try await withDemoDeployment { _, gateway in
            gateway.metrics.recordReload(success: false)
            gateway.metrics.createKnownSeries(models: [("demo", ["fc"], ["backend-0", "backend-1"])])
            let text = String(decoding: gateway.metrics.render(), as: UTF8.self)
            #expect(text.split(separator: "\n").filter { $0.hasPrefix("eis_config_reloads_total{") }.sorted()
                == [#"eis_config_reloads_total{result="failure"} 1"#, #"eis_config_reloads_total{result="success"} 0"#])
        }
    }

    @Test func metricNamesFollowPrometheusConventions() async throws {
        try await withDemoDeployment { _, gateway in
            let text = String(decoding: gateway.metrics.render(), as: UTF8.self)
            let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ") }
            #expect(types.count >= 15)
            for type in types {
                let name = String(type[2]), kind = String(type[3])
                #expect(name.hasPrefix("eis_") && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)")
                #expect((kind == "counter") == name.hasSuffix("_total"), "\(name) is a \(kind)")
                if name.contains("duration") || name.contains("latency") { #expect(name.hasSuffix("_seconds"), "\(name)") }
                #expect(!name.contains("milliseconds") && !name.hasSuffix("_ms"), "\(name): base units only")
            }
        }
    }
}
