import Testing

@testable import EISGateway

/// `GatewayMetrics` reuses one handle per series, and every record still lands in `/metrics`.
struct GatewayMetricsTests {
    private func text(_ metrics: GatewayMetrics) -> String {
        String(decoding: metrics.render(), as: UTF8.self)
    }

    @Test func repeatedRecordsAccumulateInOneSeriesEach() {
        let metrics = GatewayMetrics()
        for _ in 0..<3 { metrics.recordRequest(model: "demo", code: 200, duration: .milliseconds(2)) }
        metrics.recordRequest(model: "demo", code: 400, duration: .milliseconds(1))
        metrics.recordBackendCall(backend: "a", outcome: "ok", duration: .milliseconds(1))
        metrics.recordBackendCall(backend: "a", outcome: "ok", duration: .milliseconds(1))
        metrics.recordBackendCall(backend: "b", outcome: "timeout", duration: .seconds(1))
        metrics.setBackendUp("a", true)
        metrics.setBackendUp("a", false)
        metrics.recordBatch(model: "demo", rows: 3, paddingRows: 1)
        metrics.recordBatch(model: "demo", rows: 1, paddingRows: 3)
        let text = text(metrics)
        #expect(GatewayProbe.value(of: #"eis_requests_total{model="demo",code="200"}"#, in: text) == 3)
        #expect(GatewayProbe.value(of: #"eis_requests_total{model="demo",code="400"}"#, in: text) == 1)
        #expect(GatewayProbe.value(of: #"eis_request_duration_seconds_count{model="demo"}"#, in: text) == 4)
        #expect(GatewayProbe.value(of: #"eis_backend_requests_total{backend="a",outcome="ok"}"#, in: text) == 2)
        #expect(GatewayProbe.value(of: #"eis_backend_requests_total{backend="b",outcome="timeout"}"#, in: text) == 1)
        #expect(GatewayProbe.value(of: #"eis_backend_up{backend="a"}"#, in: text) == 0)
        #expect(GatewayProbe.value(of: #"eis_padding_rows_total{model="demo"}"#, in: text) == 4)
        #expect(GatewayProbe.value(of: #"eis_batch_rows_count{model="demo"}"#, in: text) == 2)
    }

    @Test func twoGatewayMetricsDoNotShareSeries() {
        let first = GatewayMetrics()
        let second = GatewayMetrics()
        first.recordHedge(model: "demo")
        first.recordHedge(model: "demo")
        second.recordHedge(model: "demo")
        #expect(GatewayProbe.value(of: #"eis_hedges_total{model="demo"}"#, in: text(first)) == 2)
        #expect(GatewayProbe.value(of: #"eis_hedges_total{model="demo"}"#, in: text(second)) == 1)
    }
}
