import CurlTransport

/// Closed-loop load: `concurrency` workers each send, wait for the answer, and send again.
struct LoadRunner: Sendable {
    let client: CurlHTTPClient
    /// Told when each warm-up and measured slice starts (`eis-bench`'s line on standard error).
    var progress: ProgressLine?

    /// Measures every scenario at one concurrency for `duration` each, after a `warmup` each.
    ///
    /// The measured time is cut into `rounds` slices that take turns (in a rotating order), so
    /// a change in the machine's load during the run reaches every scenario alike and the
    /// ratios between them stay fair on a shared, noisy machine.
    func run(_ scenarios: [Scenario], concurrency: Int, warmup: Duration, duration: Duration, rounds: Int) async -> [Measurement] {
        for scenario in scenarios {
            progress?.begin("warm-up \(scenario.name), concurrency \(concurrency)", length: warmup)
            _ = await drive(scenario, concurrency: concurrency, until: .now + warmup)
        }
        let rounds = max(1, rounds)
        var tallies = scenarios.map { _ in Tally() }
        for round in 0..<rounds {
            for offset in scenarios.indices {
                let index = (round + offset) % scenarios.count
                let scenario = scenarios[index]
                progress?.begin("\(scenario.name), concurrency \(concurrency), slice \(round + 1)/\(rounds)", length: duration / rounds)
                let processes = [(label: "client", pid: Int32(0))] + scenario.processes
                let cpuBefore = ProcessCPU.snapshot(processes)
                let start = ContinuousClock.now
                let results = await drive(scenario, concurrency: concurrency, until: start + duration / rounds)
                tallies[index].elapsed += ContinuousClock.now - start
                for (label, seconds) in ProcessCPU.snapshot(processes) {
                    tallies[index].cpuSeconds[label, default: 0] += seconds - (cpuBefore[label] ?? 0)
                }
                tallies[index].latencies += results.flatMap(\.latencies)
                tallies[index].failures += results.reduce(0) { $0 + $1.failures }
            }
        }
        return zip(scenarios, tallies).map { scenario, tally in tally.measurement(name: scenario.name, concurrency: concurrency) }
    }

    /// What one scenario has measured so far, over all its slices.
    private struct Tally {
        var latencies: [Double] = []
        var failures = 0
        var elapsed = Duration.zero
        var cpuSeconds: [String: Double] = [:]

        func measurement(name: String, concurrency: Int) -> Measurement {
            let answered = latencies.sorted()
            // Percentiles of nothing are reported as 0; `requests` stays 0 so the caller can tell.
            let sorted = answered.isEmpty ? [0] : answered
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return Measurement(
                name: name, concurrency: concurrency, requests: answered.count, failures: failures,
                p50_ms: LoadRunner.percentile(sorted, 0.50), p99_ms: LoadRunner.percentile(sorted, 0.99), max_ms: sorted[sorted.count - 1],
                rps: Double(answered.count) / max(seconds, 1e-9),
                cpu_us_per_request: cpuSeconds.mapValues { $0 * 1e6 / Double(max(1, answered.count)) })
        }
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
                        if await send(scenario.requests, deadline: sent + .seconds(10)) {
                            let latency = ContinuousClock.now - sent
                            result.latencies.append(Double(latency.components.attoseconds) * 1e-15 + Double(latency.components.seconds) * 1e3)
                        } else {
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

    /// Sends one request, or several together; true when every answer is a 200.
    private func send(_ requests: [HTTPClientRequest], deadline: ContinuousClock.Instant) async -> Bool {
        if requests.count == 1 {
            return (try? await client.execute(requests[0], deadline: deadline))?.status == 200
        }
        return await client.executeAll(requests, deadline: deadline).allSatisfy { (try? $0.result.get())?.status == 200 }
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
