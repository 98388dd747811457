import CurlTransport

/// Closed-loop load: `concurrency` workers each send, wait for the answer, and send again.
struct LoadRunner: Sendable {
    let client: CurlHTTPClient

    /// Sends `scenario.request` for `duration` after `warmup`, from `concurrency` workers.
    func run(_ scenario: Scenario, concurrency: Int, warmup: Duration, duration: Duration) async -> Measurement {
        _ = await drive(scenario, concurrency: concurrency, until: .now + warmup)
        let processes = [(label: "client", pid: Int32(0))] + scenario.processes
        let cpuBefore = ProcessCPU.snapshot(processes)
        let start = ContinuousClock.now
        let results = await drive(scenario, concurrency: concurrency, until: start + duration)
        let elapsed = ContinuousClock.now - start
        let cpuAfter = ProcessCPU.snapshot(processes)
        let answered = results.flatMap(\.latencies).sorted()
        // Percentiles of nothing are reported as 0; `requests` stays 0 so the caller can tell.
        let latencies = answered.isEmpty ? [0] : answered
        let failures = results.reduce(0) { $0 + $1.failures }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Measurement(
            name: scenario.name, concurrency: concurrency, requests: answered.count, failures: failures,
            p50_ms: Self.percentile(latencies, 0.50), p99_ms: Self.percentile(latencies, 0.99),
            rps: Double(answered.count) / seconds,
            cpu_us_per_request: cpuAfter.reduce(into: [:]) { perRequest, entry in
                perRequest[entry.key] = (entry.value - (cpuBefore[entry.key] ?? 0)) * 1e6 / Double(max(1, answered.count))
            })
    }

    private struct WorkerResult: Sendable {
        var latencies: [Double] = []
        var failures = 0
    }

    private func drive(_ scenario: Scenario, concurrency: Int, until end: ContinuousClock.Instant) async -> [WorkerResult] {
        await withTaskGroup(of: WorkerResult.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var result = WorkerResult()
                    while ContinuousClock.now < end {
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(scenario.request, deadline: sent + .seconds(10))
                            if response.status == 200 {
                                let latency = ContinuousClock.now - sent
                                result.latencies.append(Double(latency.components.attoseconds) * 1e-15 + Double(latency.components.seconds) * 1e3)
                            } else {
                                result.failures += 1
                            }
                        } catch {
                            result.failures += 1
                        }
                    }
                    return result
                }
            }
            var all = [WorkerResult]()
            for await result in group { all.append(result) }
            return all
        }
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
