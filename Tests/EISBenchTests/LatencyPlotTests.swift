@testable import eis_bench
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `eis-bench --plot`: a well-formed SVG with one series per scenario and figure.
struct LatencyPlotTests {
    /// What an XML parse of the plot found.
    final class Elements: NSObject, XMLParserDelegate {
        var series: [(scenario: String, metric: String)] = []
        var circles = 0
        var titles: [String] = []
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if name == "g", attributes["class"] == "series" {
                series.append((attributes["data-scenario"] ?? "", attributes["data-metric"] ?? ""))
            }
            if name == "circle" { circles += 1 }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title" { titles.append(text) }
        }
    }

    /// Parses `svg`; nil when it is not well-formed XML.
    static func parse(_ svg: String) -> Elements? {
        let parser = XMLParser(data: Data(svg.utf8))
        let elements = Elements()
        parser.delegate = elements
        return parser.parse() ? elements : nil
    }

    static func measurement(_ name: String, _ concurrency: Int, p50: Double, p99: Double, rps: Double) -> eis_bench.Measurement {
        eis_bench.Measurement(name: name, concurrency: concurrency, requests: 100, failures: 0, p50_ms: p50, p99_ms: p99, max_ms: p99, rps: rps, cpu_us_per_request: [:])
    }

    @Test func thePlotIsWellFormedSVGWithP50P99AndRateForEveryScenario() throws {
        let results = [1, 16].flatMap { level in
            [Self.measurement("hop", level, p50: 0.09 * Double(level), p99: 0.2 * Double(level), rps: 9000),
             Self.measurement("gateway", level, p50: 1.5, p99: 4.25, rps: 600 * Double(level)),
             Self.measurement("a<b&\"c\"", level, p50: 12, p99: 30, rps: 80)]
        }
        let svg = LatencyPlot.svg(results)
        #expect(svg.hasPrefix("<?xml"))
        let elements = try #require(Self.parse(svg), "the plot is not well-formed XML")
        let expected = ["hop", "gateway", "a<b&\"c\""].flatMap { scenario in ["p50", "p99", "rps"].map { "\(scenario) \($0)" } }
        #expect(elements.series.map { "\($0.scenario) \($0.metric)" } == expected)
        #expect(elements.circles == 18)
        #expect(elements.titles.contains("gateway p99 at concurrency 16: 4.25 ms"))
        #expect(elements.titles.contains("gateway rps at concurrency 16: 9600 req/s"))
    }

    @Test func oneConcurrencyLevelStillDrawsEveryPoint() throws {
        let svg = LatencyPlot.svg([Self.measurement("direct", 1, p50: 0.3, p99: 0.9, rps: 3000)])
        let elements = try #require(Self.parse(svg))
        #expect(elements.circles == 3)
        #expect(!svg.contains("NaN") && !svg.contains("inf"))
    }

    @Test func theRateAxisEndsAtARoundNumberAboveTheData() {
        #expect(LatencyPlot.niceCeiling(9600) == 10000)
        #expect(LatencyPlot.niceCeiling(1234) == 2000)
        #expect(LatencyPlot.niceCeiling(450) == 500)
        #expect(LatencyPlot.niceCeiling(100) == 100)
    }

    @Test func theProgressLineSaysWhatRunsHowFarAndHowLongIsLeft() {
        let text = ProgressLine.text(what: "gateway, concurrency 16, slice 3/5", fraction: 0.425, left: .milliseconds(16_200), elapsed: .seconds(12))
        #expect(text == "[ 42%] gateway, concurrency 16, slice 3/5 · 12 s elapsed, about 17 s left")
    }
}
