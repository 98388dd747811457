import CurlTransport

/// One thing to measure: a request to send over and over, and the status that counts as success.
struct Scenario: Sendable {
    /// Name in the table and in `--json` output.
    let name: String
    /// The request each worker sends.
    let request: HTTPClientRequest
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
}
