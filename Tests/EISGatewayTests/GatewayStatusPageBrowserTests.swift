import CurlTransport
import EISGateway
import EISLaunch
import Foundation
import Testing

/// The status page in a real headless Chromium, in front of a real `eis-gateway` process and real
/// `eis-server` processes: it renders, and shows a killed backend down within one refresh of
/// the gateway knowing it.
///
/// On failure the test saves a screenshot of the page and names its path in the failure.
@Suite(.serialized)
struct GatewayStatusPageBrowserTests {
    /// How often the page under test refreshes (`/status?refresh=MS`), in milliseconds.
    static let refreshMilliseconds = 500

    @Test(.timeLimit(.minutes(2)))
    func theStatusPageRendersTheBackendsAndShowsAKilledOneDownWithinOneRefresh() async throws {
        // Health checks every 200 ms, one failure marks a backend unhealthy: the gateway notices
        // a kill quickly, so the test measures the page, not the checker.
        let health = "[health]\ninterval_ms = 200\ntimeout_ms = 500\nunhealthy_threshold = 1\n"
        try await withProcessDeployment(servers: 3, sections: health) { deployment in
            for _ in 0..<4 {
                let answer = try await deployment.infer()
                #expect(answer.status == 200)
            }
            try await withHeadlessChromium { browser in
                let page = try await browser.open(deployment.url + "/status?refresh=\(Self.refreshMilliseconds)")
                do {
                    try await Self.expectRendered(page)
                    await deployment.servers[1].kill()
                    // The moment the gateway itself reports the backend down …
                    try await Self.waitForGatewayToReportDown(backend: 1, deployment: deployment)
                    // … the page's next refresh that starts after it shows it down. The one in
                    // flight may have been sent before, so that is at most two renders on; counted
                    // in the page's own renders, not wall time, which a loaded machine stretches.
                    let rendered = Int(try await page.evaluate("+document.body.dataset.renders") ?? "") ?? 0
                    try await page.waitUntil("+document.body.dataset.renders >= \(rendered + 2)", "two more refreshes", timeout: .seconds(20))
                    let state = try await page.evaluate("document.querySelectorAll('tr[data-backend]')[1].dataset.state")
                    try Self.check(state == "\"unhealthy\"" || state == "\"ejected\"", "state \(state ?? "nil") one refresh after the gateway knew")
                    let others = try await page.evaluate("[0, 2].map(function (i) { return document.querySelectorAll('tr[data-backend]')[i].dataset.state; })")
                    try Self.check(others == #"["verified","verified"]"#, "the other backends: \(others ?? "nil")")
                } catch {
                    let path = FileManager.default.temporaryDirectory.appendingPathComponent("eis-status-page-\(UUID().uuidString).png").path
                    let saved = (try? await page.screenshot(to: path)) != nil
                    let note = saved ? "screenshot of the page: \(path)" : "no screenshot could be taken"
                    print("GatewayStatusPageBrowserTests: \(note)")
                    throw HeadlessChromium.Failure("\(error); \(note); browser log: \(browser.logPath)")
                }
            }
        }
    }

    /// Waits for the first render and checks what it shows: every backend with its trust
    /// domain and state, the model servable, and figures from the requests already sent.
    static func expectRendered(_ page: ChromiumPage) async throws {
        try await page.waitUntil(
            "document.querySelectorAll('tr[data-backend][data-state=\"verified\"]').length === 3",
            "three verified backends rendered", timeout: .seconds(15))
        let text = try await page.evaluate("document.body.innerText") ?? ""
        for expected in ["demo", "servable", "operator-0", "operator-1", "operator-2", "verified", "trust domains up", "padding", GatewayVersion.current] {
            try check(text.contains(expected), "the page shows \(expected)")
        }
        // Latency figures from the requests sent before the page opened.
        let p50 = try await page.evaluate(
            "Array.from(document.querySelectorAll('.figures span')).find(function (s) { return s.textContent.indexOf('p50 ') === 0; }).textContent")
        try check(p50?.hasSuffix(" ms\"") == true, "p50 shown: \(p50 ?? "nil")")
        // Nothing loaded from anywhere but the gateway, and the data fetch did not fail.
        let foreign = try await page.evaluate(
            "performance.getEntriesByType('resource').filter(function (e) { return e.name.indexOf(location.origin + '/') !== 0; }).length")
        try check(foreign == "0", "\(foreign ?? "nil") resources loaded from elsewhere")
        let banner = try await page.evaluate("document.getElementById('banner').textContent")
        try check(banner == "\"\"", "the page's error banner: \(banner ?? "nil")")
    }

    /// A check that throws, so the test's failure path takes its screenshot.
    static func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        guard condition else { throw HeadlessChromium.Failure("failed: \(what())") }
    }

    /// Polls the gateway's `/status.json` until backend `index` is no longer verified.
    ///
    static func waitForGatewayToReportDown(backend index: Int, deployment: ProcessDeployment) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let response = try await deployment.client.execute(
                HTTPClientRequest(method: .get, url: deployment.url + "/status.json"), timeout: .seconds(5))
            let report = try JSONDecoder().decode(GatewayStatusRoutesTests.Report.self, from: Data(response.body))
            if let backend = report.models.first?.backends[index], backend.state != "verified" { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HeadlessChromium.Failure("the gateway did not report the killed backend down within 15 s")
    }
}
