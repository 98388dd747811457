import CurlTransport
import EISCore
import Foundation
import Testing
import EISGateway
import EISLaunch

/// Batching and padding end to end: real `eis-server` and `eis-gateway` processes.
@Suite(.serialized)
struct GatewayBatchingIntegrationTests {
    private struct Outputs: Decodable { let outputs: [[Double]] }

    /// The `rows` label of every successful share request a server counted.
    static func rowLabels(_ deployment: ProcessDeployment, server index: Int) async throws -> [String: Int] {
        let url = "http://127.0.0.1:\(deployment.servers[index].port)/metrics"
        let response = try await deployment.client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        var counts = [String: Int]()
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("eis_server_requests_total{") && line.contains(#"code="200""#) {
            guard let start = line.range(of: #"rows=""#), let end = line[start.upperBound...].firstIndex(of: "\""),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            counts[String(line[start.upperBound..<end]), default: 0] += Int(value)
        }
        return counts
    }

    @Test func underMixedLoadARealServerSeesOnlyBucketSizesAndEveryClientItsOwnRows() async throws {
        let reference = try DemoReference()
        try await withProcessDeployment(servers: 2, gatewayKeys: "backend_timeout_ms = 5000\nmax_delay_ms = 5") { deployment in
            let client = deployment.client, url = deployment.url
            // 33 and 70 rows exceed max_batch (32): those requests go alone, padded to 128.
            let sizes = [1, 2, 3, 5, 9, 20, 33, 70]
            let worst = try await withThrowingTaskGroup(of: Double.self) { group in
                // Bounded: 4 clients × 5 requests, about 350 rows in all.
                for worker in 0..<4 {
                    group.addTask {
                        var generator = SystemRandomNumberGenerator()
                        var worst = 0.0
                        for request in 0..<5 {
                            let count = sizes[(worker + request) % sizes.count]
                            let rows = (0..<count).map { _ in (0..<reference.inputs).map { _ in Double.random(in: -1...1, using: &generator) } }
                            let response = try await client.execute(HTTPClientRequest(
                                method: .post, url: url + "/infer", headers: [(name: "Content-Type", value: "application/json")], body: Array(try JSONEncoder().encode(["inputs": rows]))), timeout: .seconds(20))
                            guard response.status == 200 else {
                                Issue.record("status \(response.status)")
                                continue
                            }
                            let outputs = try JSONDecoder().decode(Outputs.self, from: Data(response.body)).outputs
                            #expect(outputs.count == count, "exactly its own rows")
                            for (output, row) in zip(outputs, rows) {
                                for (y, e) in zip(output, reference.apply(row)) { worst = max(worst, abs(y - e)) }
                            }
                        }
                        return worst
                    }
                }
                return try await group.reduce(0) { max($0, $1) }
            }
            #expect(worst < 1e-6, "max |y − (W·x + b)| = \(worst)")
            for index in 0..<2 {
                let labels = try await Self.rowLabels(deployment, server: index)
                #expect(!labels.isEmpty)
                let sizes = labels.keys.map { Int($0) ?? -1 }
                #expect(sizes.allSatisfy { [1, 8, 32, 128].contains($0) || ($0 > 0 && $0.isMultiple(of: 128)) }, "server \(index) saw \(labels)")
            }
            let metrics = try await deployment.client.execute(HTTPClientRequest(url: url + "/metrics"), timeout: .seconds(10))
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains(#"eis_padding_rows_total{model="demo"}"#))
            #expect(text.contains(#"eis_batch_rows_count{model="demo"}"#))
        }
    }
}
