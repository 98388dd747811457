import CurlTransport

/// One thing to measure: a request (or requests sent together) to send over and over; it counts
/// as answered when every response is a 200.
struct Scenario: Sendable {
    /// Name in the table and in `--json` output.
    let name: String
    /// What each worker sends: one request, or several at once through one `executeAll` (as the
    /// gateway sends shares), timed until the last answer.
    let requests: [HTTPClientRequest]
    /// The processes whose CPU time per request is reported, by role (`gateway`, `servers`);
    /// the benchmark's own process is always reported as `client`.
    var processes: [(label: String, pid: Int32)] = []

    /// A scenario of one request.
    init(name: String, request: HTTPClientRequest) {
        self.init(name: name, requests: [request])
    }

    /// A scenario of requests sent together.
    init(name: String, requests: [HTTPClientRequest]) {
        self.name = name
        self.requests = requests
    }
}

/// What one scenario at one concurrency measured.
struct Measurement: Sendable, Encodable {
    let name: String
    let concurrency: Int
    let requests: Int
    let failures: Int
    let p50_ms: Double
    let p99_ms: Double
    /// The slowest answered request: what a rare stall costs, which p99 of a short run can miss.
    let max_ms: Double
    let rps: Double
    /// CPU microseconds per request spent by each role (`client`, `gateway`, `servers`) while
    /// it was measured: where the time goes when every process shares the same cores.
    let cpu_us_per_request: [String: Double]
}
