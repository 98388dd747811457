import CurlTransport

/// One thing to measure: a request to send over and over, and the status that counts as success.
struct Scenario: Sendable {
    /// Name in the table and in `--json` output.
    let name: String
    /// The request each worker sends.
    let request: HTTPClientRequest
    /// The processes whose CPU time per request is reported, by role (`gateway`, `servers`);
    /// the benchmark's own process is always reported as `client`.
    var processes: [(label: String, pid: Int32)] = []
}

/// What one scenario at one concurrency measured.
struct Measurement: Sendable, Encodable {
    let name: String
    let concurrency: Int
    let requests: Int
    let failures: Int
    let p50_ms: Double
    let p99_ms: Double
    let rps: Double
    /// CPU microseconds per request spent by each role (`client`, `gateway`, `servers`) while
    /// it was measured: where the time goes when every process shares the same cores.
    let cpu_us_per_request: [String: Double]
}
