import CurlTransport
import EISTestSupport
import Foundation

/// A real Prometheus (Debian's `prometheus` package) on a free loopback port, with a temporary
/// configuration and data directory; `stop()` ends it and removes both.
final class PrometheusProcess: Sendable {
    /// Why a Prometheus step failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Its base URL.
    let url: String
    private let process: Process
    private let directory: URL
    /// Its log (stderr).
    let logPath: String

    private init(url: String, process: Process, directory: URL, logPath: String) {
        self.url = url
        self.process = process
        self.directory = directory
        self.logPath = logPath
    }

    /// Starts Prometheus with `configuration` (YAML) and waits until it is ready.
    ///
    /// - Throws: `Failure` when it cannot start or is not ready within `timeout` (it is stopped).
    static func start(configuration: String, client: CurlHTTPClient, timeout: Duration = .seconds(30)) async throws -> PrometheusProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eis-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configPath = directory.appendingPathComponent("prometheus.yml").path
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
        let logPath = directory.appendingPathComponent("prometheus.log").path
        guard let port = FreePort.pick(), FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath) else {
            throw Failure("no free port or cannot write \(logPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["prometheus", "--config.file=\(configPath)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch {
            throw Failure("cannot start prometheus (install Debian's prometheus package): \(error)")
        }
        let prometheus = PrometheusProcess(url: "http://127.0.0.1:\(port)", process: process, directory: directory, logPath: logPath)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && process.isRunning {
            if let ready = try? await client.execute(HTTPClientRequest(method: .get, url: prometheus.url + "/-/ready"), timeout: .seconds(1)),
               ready.status == 200 {
                return prometheus
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        let written = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        await prometheus.stop()
        throw Failure("prometheus was not ready within \(timeout); its log:\n\(written.suffix(2000))")
    }

    /// One instant query through `/api/v1/query`.
    struct QueryResult {
        /// `success`, or `error` with `error` set.
        var status: String
        var error: String?
        /// How many series (or 1 for a scalar) the answer holds.
        var count: Int
    }

    /// Runs `expression` as an instant query.
    func query(_ expression: String, client: CurlHTTPClient) async throws -> QueryResult {
        let object = try await get("/api/v1/query?query=" + Self.encode(expression), client: client)
        let data = object["data"] as? [String: Any]
        let count = (data?["result"] as? [Any])?.count ?? (data?["resultType"] as? String == "scalar" ? 1 : 0)
        return QueryResult(status: object["status"] as? String ?? "", error: object["error"] as? String, count: count)
    }

    /// A JSON object from Prometheus's HTTP API.
    func get(_ pathAndQuery: String, client: CurlHTTPClient) async throws -> [String: Any] {
        let response = try await client.execute(HTTPClientRequest(method: .get, url: url + pathAndQuery), timeout: .seconds(10))
        guard let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw Failure("\(pathAndQuery): not a JSON object (HTTP \(response.status))")
        }
        return object
    }

    /// Stops Prometheus (SIGTERM, SIGKILL after `grace`) and removes its directory.
    func stop(grace: Duration = .seconds(10)) async {
        if process.isRunning {
            process.terminate()
            let deadline = ContinuousClock.now + grace
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A query-string value: everything but letters and digits percent-encoded.
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }
}

/// Runs `body` with a Prometheus started on `configuration`, and stops it afterwards, also on failure.
func withPrometheus<T>(configuration: String, client: CurlHTTPClient, _ body: (PrometheusProcess) async throws -> T) async throws -> T {
    let prometheus = try await PrometheusProcess.start(configuration: configuration, client: client)
    do {
        let result = try await body(prometheus)
        await prometheus.stop()
        return result
    } catch {
        await prometheus.stop()
        throw error
    }
}
