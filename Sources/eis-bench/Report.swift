/// The human-readable table, with the gateway/direct, batched/direct, batched-f32/direct and
/// batched/gateway ratios per concurrency, the same against nginx when it ran, the floor a
/// gateway doing no work would reach, and the gateway's cost per share round.
enum Report {
    static func table(_ results: [Measurement]) -> String {
        var lines = [rows(results)]
        let pairs = [("gateway", "direct"), ("batched", "direct"), ("batched-f32", "direct"), ("batched", "gateway"),
                     ("nginx", "direct"), ("gateway", "nginx"), ("batched", "nginx"), ("batched-f32", "nginx")]
        for (over, under) in pairs where results.contains(where: { $0.name == under }) {
            lines.append("")
            lines.append(pad("ratio \(over)/\(under)", 20) + "   conc   p50     p99     req/s")
            for level in Set(results.map(\.concurrency)).sorted() {
                guard let g = results.first(where: { $0.name == over && $0.concurrency == level }),
                      let d = results.first(where: { $0.name == under && $0.concurrency == level }) else { continue }
                lines.append(pad("", 20) + lpad("\(level)", 7) + lpad(fmt(g.p50_ms / d.p50_ms, 2), 7)
                             + lpad(fmt(g.p99_ms / d.p99_ms, 2), 8) + lpad(fmt(g.rps / d.rps, 2), 8))
            }
        }
        // What a gateway doing no work of its own would measure here: its inbound hop plus its
        // backend leg. The sum of two medians estimates the median of the sum.
        lines.append("")
        lines.append(pad("floor (hop + pair)/direct", 26) + "   conc   p50")
        for level in Set(results.map(\.concurrency)).sorted() {
            guard let hop = results.first(where: { $0.name == "hop" && $0.concurrency == level }),
                  let pair = results.first(where: { $0.name == "pair" && $0.concurrency == level }),
                  let direct = results.first(where: { $0.name == "direct" && $0.concurrency == level }) else { continue }
            lines.append(pad("", 26) + lpad("\(level)", 7) + lpad(fmt((hop.p50_ms + pair.p50_ms) / direct.p50_ms, 2), 7))
        }
        lines += cpuFloor(results)
        lines += perRound(results)
        return lines.joined(separator: "\n")
    }

    /// What any gateway built on the same parts must spend per request, by measurement: the
    /// inbound framework's CPU for a request that does nothing (`server-hop`, Hummingbird on an
    /// eis-server) plus the outbound client's for the two backend calls (the client's CPU in
    /// `pair`, libcurl through the same transport), against what the gateway spends.
    static func cpuFloor(_ results: [Measurement]) -> [String] {
        var lines = ["", "CPU floor µs/request: Hummingbird (server-hop) + libcurl ×2 (pair, client) = floor   gateway   gateway/floor"]
        for level in Set(results.map(\.concurrency)).sorted() {
            guard let hop = results.first(where: { $0.name == "server-hop" && $0.concurrency == level })?.cpu_us_per_request["servers"],
                  let pair = results.first(where: { $0.name == "pair" && $0.concurrency == level })?.cpu_us_per_request["client"],
                  let gateway = results.first(where: { $0.name == "gateway" && $0.concurrency == level })?.cpu_us_per_request["gateway"]
            else { continue }
            let floor = hop + pair
            lines.append(pad("conc \(level)", 20) + lpad(fmt(hop, 0), 16) + lpad(fmt(pair, 0), 27) + lpad(fmt(floor, 0), 9)
                         + lpad(fmt(gateway, 0), 10) + lpad(fmt(gateway / floor, 2), 16))
        }
        return lines.count > 2 ? lines : []
    }

    /// The gateway's cost split into one share round and the rest of a request: `mlp` runs
    /// `MLPScenario.rounds` rounds per request, `gateway` one, on the same gateway, so their
    /// difference over the extra rounds is what a round costs.
    static func perRound(_ results: [Measurement]) -> [String] {
        let extra = Double(MLPScenario.rounds - 1)
        var lines = ["", "per round (mlp − gateway) / \(MLPScenario.rounds - 1)    conc   p50 ms   gateway CPU µs   | rest of a request: p50 ms   gateway CPU µs"]
        for level in Set(results.map(\.concurrency)).sorted() {
            guard let one = results.first(where: { $0.name == "gateway" && $0.concurrency == level }),
                  let many = results.first(where: { $0.name == MLPScenario.name && $0.concurrency == level }),
                  let oneCPU = one.cpu_us_per_request["gateway"], let manyCPU = many.cpu_us_per_request["gateway"] else { continue }
            let roundP50 = (many.p50_ms - one.p50_ms) / extra, roundCPU = (manyCPU - oneCPU) / extra
            lines.append(pad("", 34) + lpad("\(level)", 7) + lpad(fmt(roundP50, 3), 9) + lpad(fmt(roundCPU, 0), 17)
                         + lpad(fmt(one.p50_ms - roundP50, 3), 28) + lpad(fmt(oneCPU - roundCPU, 0), 17))
        }
        return lines.count > 2 ? lines : []
    }

    /// One line per measurement, under a header.
    static func rows(_ results: [Measurement]) -> String {
        let width = max(12, (results.map(\.name.count).max() ?? 0) + 1)
        var lines = [pad("scenario", width) + "  conc   requests  failures    p50 ms    p99 ms       req/s   CPU µs/request: client gateway servers   nginx"]
        for m in results {
            lines.append(pad(m.name, width) + lpad("\(m.concurrency)", 6) + lpad("\(m.requests)", 11) + lpad("\(m.failures)", 10)
                         + lpad(fmt(m.p50_ms, 3), 10) + lpad(fmt(m.p99_ms, 3), 10) + lpad(fmt(m.rps, 0), 12)
                         + lpad(m.cpu_us_per_request["client"].map { fmt($0, 0) } ?? "-", 24)
                         + lpad(m.cpu_us_per_request["gateway"].map { fmt($0, 0) } ?? "-", 8)
                         + lpad(m.cpu_us_per_request["servers"].map { fmt($0, 0) } ?? "-", 8)
                         + lpad(m.cpu_us_per_request["nginx"].map { fmt($0, 0) } ?? "-", 8))
        }
        return lines.joined(separator: "\n")
    }

    private static func fmt(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if decimals == 0, text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }

    private static func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
    private static func lpad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
}
