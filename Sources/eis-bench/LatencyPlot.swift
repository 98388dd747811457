import Foundation

/// `eis-bench --plot FILE.svg`: p50 and p99 latency and requests/s per scenario against
/// concurrency, as one hand-written SVG (no plotting library, no scripts, opens in any browser).
///
/// Two panels side by side share the concurrency axis: latency on a logarithmic scale (the
/// scenarios span a 100 µs hop to multi-millisecond gateway calls), p50 solid and p99 dashed;
/// requests per second on a linear scale from zero. One colour per scenario, in a legend. Each
/// series is a `<g class="series" data-scenario=… data-metric=…>` and each point carries a
/// `<title>` with its value, so a reader can hover for the number and tools can find the data.
enum LatencyPlot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    /// Panel geometry, in SVG user units.
    private static let panelWidth = 420.0, panelHeight = 300.0, left = 70.0, top = 50.0, gap = 110.0

    /// The SVG document for `results`.
    static func svg(_ results: [Measurement]) -> String {
        let scenarios = results.map(\.name).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let levels = Set(results.map(\.concurrency)).sorted()
        let legendRows = (scenarios.count + 3) / 4
        let width = left + 2 * panelWidth + gap + 30, height = top + panelHeight + 70 + Double(legendRows) * 20
        var svg = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(fmt(width))" height="\#(fmt(height))" viewBox="0 0 \#(fmt(width)) \#(fmt(height))" font-family="sans-serif" font-size="12">"#,
            #"<title>eis-bench: latency and throughput per scenario and concurrency</title>"#,
            #"<rect width="100%" height="100%" fill="white"/>"#,
        ]
        let latencies = results.flatMap { [$0.p50_ms, $0.p99_ms] }.filter { $0 > 0 && $0.isFinite }
        let latencyAxis = LogAxis(low: latencies.min() ?? 0.1, high: latencies.max() ?? 1)
        let rpsHigh = niceCeiling(results.map(\.rps).filter(\.isFinite).max() ?? 1)
        let rpsX0 = left + panelWidth + gap
        svg += frame(x0: left, title: "Latency (ms, log scale): p50 solid, p99 dashed", levels: levels,
                     ticks: latencyAxis.ticks.map { (latencyAxis.fraction($0), fmtTick($0)) })
        svg += frame(x0: rpsX0, title: "Requests per second", levels: levels,
                     ticks: (0...4).map { (Double($0) / 4, fmtTick(rpsHigh * Double($0) / 4)) })
        for (index, scenario) in scenarios.enumerated() {
            let colour = palette[index % palette.count]
            let points = levels.compactMap { level in results.first { $0.name == scenario && $0.concurrency == level } }
            svg += series(scenario, "p50", colour, dashed: false, x0: left, points: points, levels: levels,
                          value: \.p50_ms, unit: "ms") { latencyAxis.fraction($0) }
            svg += series(scenario, "p99", colour, dashed: true, x0: left, points: points, levels: levels,
                          value: \.p99_ms, unit: "ms") { latencyAxis.fraction($0) }
            svg += series(scenario, "rps", colour, dashed: false, x0: rpsX0, points: points, levels: levels,
                          value: \.rps, unit: "req/s") { $0 / rpsHigh }
            let legendX = left + Double(index % 4) * 200, legendY = top + panelHeight + 60 + Double(index / 4) * 20
            svg.append(#"<g class="legend"><line x1="\#(fmt(legendX))" y1="\#(fmt(legendY - 4))" x2="\#(fmt(legendX + 24))" y2="\#(fmt(legendY - 4))" stroke="\#(colour)" stroke-width="3"/><text x="\#(fmt(legendX + 30))" y="\#(fmt(legendY))">\#(escape(scenario))</text></g>"#)
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// A panel's axes, grid, tick labels and title.
    private static func frame(x0: Double, title: String, levels: [Int], ticks: [(Double, String)]) -> [String] {
        var lines = [#"<g class="panel">"#, #"<text x="\#(fmt(x0))" y="\#(fmt(top - 18))" font-size="14" font-weight="bold">\#(escape(title))</text>"#]
        for (fraction, label) in ticks {
            let y = top + panelHeight * (1 - fraction)
            lines.append(#"<line x1="\#(fmt(x0))" y1="\#(fmt(y))" x2="\#(fmt(x0 + panelWidth))" y2="\#(fmt(y))" stroke="rgb(224,224,224)"/>"#)
            lines.append(#"<text x="\#(fmt(x0 - 6))" y="\#(fmt(y + 4))" text-anchor="end">\#(escape(label))</text>"#)
        }
        for (index, level) in levels.enumerated() {
            let x = xPosition(index, of: levels.count, x0: x0)
            lines.append(#"<text x="\#(fmt(x))" y="\#(fmt(top + panelHeight + 18))" text-anchor="middle">\#(level)</text>"#)
        }
        lines.append(#"<text x="\#(fmt(x0 + panelWidth / 2))" y="\#(fmt(top + panelHeight + 36))" text-anchor="middle">concurrency</text>"#)
        lines.append(#"<rect x="\#(fmt(x0))" y="\#(fmt(top))" width="\#(fmt(panelWidth))" height="\#(fmt(panelHeight))" fill="none" stroke="rgb(128,128,128)"/>"#)
        lines.append("</g>")
        return lines
    }

    /// One scenario's values at every concurrency it was measured at, as a line with dots.
    private static func series(
        _ scenario: String, _ metric: String, _ colour: String, dashed: Bool, x0: Double, points: [Measurement], levels: [Int],
        value: KeyPath<Measurement, Double>, unit: String, fraction: (Double) -> Double
    ) -> [String] {
        let placed = points.compactMap { point -> (x: Double, y: Double, value: Double, level: Int)? in
            let raw = point[keyPath: value]
            guard raw.isFinite, raw > 0 || unit == "req/s", let index = levels.firstIndex(of: point.concurrency) else { return nil }
            let y = top + panelHeight * (1 - min(max(fraction(raw), 0), 1))
            return (xPosition(index, of: levels.count, x0: x0), y, raw, point.concurrency)
        }
        var lines = [#"<g class="series" data-scenario="\#(escape(scenario))" data-metric="\#(metric)" stroke="\#(colour)" fill="\#(colour)">"#]
        if placed.count > 1 {
            let path = placed.map { "\(fmt($0.x)),\(fmt($0.y))" }.joined(separator: " ")
            lines.append(#"<polyline points="\#(path)" fill="none" stroke-width="2"\#(dashed ? #" stroke-dasharray="6 4""# : "")/>"#)
        }
        for point in placed {
            lines.append(#"<circle cx="\#(fmt(point.x))" cy="\#(fmt(point.y))" r="3.5"><title>\#(escape(scenario)) \#(metric) at concurrency \#(point.level): \#(fmtTick(point.value)) \#(unit)</title></circle>"#)
        }
        lines.append("</g>")
        return lines
    }

    /// Concurrency levels evenly spaced across a panel (they are usually 1, 16, 64: categories, not a scale).
    private static func xPosition(_ index: Int, of count: Int, x0: Double) -> Double {
        count == 1 ? x0 + panelWidth / 2 : x0 + 30 + (panelWidth - 60) * Double(index) / Double(count - 1)
    }

    /// A base-10 logarithmic axis spanning whole decades around the data.
    private struct LogAxis {
        let lowDecade: Double, highDecade: Double

        init(low: Double, high: Double) {
            lowDecade = (log10(max(low, 1e-6))).rounded(.down)
            highDecade = max(lowDecade + 1, (log10(max(high, 1e-6))).rounded(.up))
        }

        func fraction(_ value: Double) -> Double { (log10(max(value, 1e-9)) - lowDecade) / (highDecade - lowDecade) }
        var ticks: [Double] { stride(from: lowDecade, through: highDecade, by: 1).map { pow(10, $0) } }
    }

    /// The smallest 1, 2 or 5 × 10^n at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let decade = pow(10, log10(value).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * decade }.first { $0 >= value } ?? 10 * decade
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func fmtTick(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 1 { return String(format: "%.3g", value) }
        return String(format: "%.2g", value)
    }

    /// Text safe inside XML content and attribute values.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
