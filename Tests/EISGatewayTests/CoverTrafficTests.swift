@testable import EISGateway
import Foundation
import Testing
import EISServer
import Prometheus

/// Cover traffic against in-process share servers.
@Suite(.serialized)
struct CoverTrafficTests {
    /// Share requests a server has answered, by their `rows` label.
    static func answered(_ server: InProcessServers, _ index: Int) -> [String: Int] {
        var counts = [String: Int]()
        for line in server.servers[index].metrics.registry.emitToString().split(separator: "\n")
        where line.hasPrefix("eis_server_requests_total{") && line.contains(#"code="200""#) {
            guard let start = line.range(of: #"rows=""#), let end = line[start.upperBound...].firstIndex(of: "\""),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            counts[String(line[start.upperBound..<end]), default: 0] += Int(value)
        }
        return counts
    }

    /// The gateway's `eis_cover_batches_total` for the demo model.
    static func coverBatches(_ gateway: Gateway) -> Int {
        let metrics = String(decoding: gateway.metrics.render(), as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"eis_cover_batches_total{model="demo"}"#) }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
    }

    @Test func anIdleModelGetsDummyBatchesOfTheSmallestBucketNoFasterThanItsRateUntilStopped() async throws {
        try await withDemoDeployment(configure: { configuration in
            configuration.models[0].coverTrafficRPS = 40
            configuration.batching.paddingBuckets = [4, 16]
        }) { servers, gateway in
            let cover = CoverTraffic(current: { gateway })
            let started = ContinuousClock.now
            let running = Task { try await cover.run() }
            // Waits for states, not for a length of time: a busy machine only makes it slower.
            let end = started + .seconds(20)
            while (Self.answered(servers, 0)["4"] ?? 0) < 5 && ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(10))
            }
            running.cancel()
            try await running.value
            let elapsed = ContinuousClock.now - started
            let counts = Self.answered(servers, 0)
            #expect(Set(counts.keys) == ["4"], "only the smallest bucket: \(counts)")
            let answered = counts["4"] ?? 0
            #expect(answered >= 5)
            // Never faster than 40 a second (the first interval only looks).
            #expect(Double(answered) <= elapsed.seconds * 40, "\(answered) in \(elapsed)")
            // Each dummy batch is shared between both backends (the last may have been cut short).
            #expect(abs((Self.answered(servers, 1)["4"] ?? 0) - answered) <= 1)
            // Counted when sent; the one in flight at the stop may never have reached a server.
            let sent = Self.coverBatches(gateway)
            #expect(sent == answered || sent == answered + 1, "\(sent) sent, \(answered) answered")
            // Stopped means stopped.
            try await Task.sleep(for: .milliseconds(200))
            #expect(Self.answered(servers, 0) == counts)
        }
    }

    @Test func anIntervalWithARealBatchGetsNoDummyBatch() async throws {
        try await withDemoDeployment(configure: { $0.models[0].coverTrafficRPS = 1 }) { servers, gateway in
            let cover = CoverTraffic(current: { gateway })
            let pipeline = try #require(gateway.pipelines["demo"])
            var seen = await cover.tick(model: "demo", after: nil)
            #expect(Self.coverBatches(gateway) == 0, "the first interval only looks")
            seen = await cover.tick(model: "demo", after: seen)
            #expect(Self.coverBatches(gateway) == 1, "an idle interval gets a dummy batch")
            _ = try await pipeline.infer([Fixtures.randomRow(seed: 1)], deadline: .now + .seconds(10))
            seen = await cover.tick(model: "demo", after: seen)
            #expect(Self.coverBatches(gateway) == 1, "an interval with a real batch gets none")
            seen = await cover.tick(model: "demo", after: seen)
            #expect(Self.coverBatches(gateway) == 2)
            // Dummy and real batches alike: one row, the smallest bucket.
            #expect(Self.answered(servers, 0) == ["1": 3])
            #expect(Self.answered(servers, 1) == ["1": 3])
            #expect(await cover.tick(model: "no-such-model", after: seen) == nil)
        }
    }
}
