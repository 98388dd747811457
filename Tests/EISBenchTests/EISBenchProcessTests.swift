import EISTestSupport
import Foundation
import Testing

/// The `eis-bench` executable, run briefly as a user would: the plot file, and the progress
/// line only on a terminal and never with `--json`.
@Suite(.serialized)
struct EISBenchProcessTests {
    static let shortRun = ["--seconds", "0.3", "--warmup", "0.1", "--rounds", "1"]

    static func bench() throws -> String {
        let paths = try ProcessPaths()
        return URL(fileURLWithPath: paths.server).deletingLastPathComponent().appendingPathComponent("eis-bench").path
    }

    @Test(.timeLimit(.minutes(2)))
    func aRunWritesThePlotAndNoProgressWhenStderrIsNotATerminal() async throws {
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: plot) }
        let run = try await ExternalCommand.run(try Self.bench(), Self.shortRun + ["--concurrency", "1,2", "--plot", plot], in: ProcessPaths.packageRoot, timeout: .seconds(90))
        #expect(run.status == 0, "\(run.standardError)")
        #expect(!run.standardError.contains("\r") && !run.standardError.contains("elapsed"))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        let elements = try #require(LatencyPlotTests.parse(svg), "the plot is not well-formed XML")
        let scenarios = Set(elements.series.map(\.scenario))
        #expect(scenarios.isSuperset(of: ["hop", "gateway", "batched", "direct", "pair"]))
        #expect(Set(elements.series.map(\.metric)) == ["p50", "p99", "rps"])
        #expect(elements.circles == elements.series.count * 2)
    }

    @Test(.timeLimit(.minutes(2)))
    func onATerminalTheProgressLineRunsAndJSONTurnsItOff() async throws {
        // `script` (util-linux) gives the benchmark a pseudo-terminal and records what it wrote.
        let bench = try Self.bench()
        let command = ([bench] + Self.shortRun + ["--concurrency", "1"]).joined(separator: " ")
        let terminal = try await ExternalCommand.run("script", ["-qefc", command, "/dev/null"], in: ProcessPaths.packageRoot, timeout: .seconds(90))
        #expect(terminal.status == 0, "\(terminal.standardOutput)")
        #expect(terminal.standardOutput.contains("\r\u{1B}[K[  0%] warm-up hop, concurrency 1"))
        #expect(terminal.standardOutput.contains("slice 1/1"))
        let json = try await ExternalCommand.run("script", ["-qefc", command + " --json", "/dev/null"], in: ProcessPaths.packageRoot, timeout: .seconds(90))
        #expect(json.status == 0, "\(json.standardOutput)")
        #expect(!json.standardOutput.contains("elapsed"))
        #expect(json.standardOutput.contains("\"p99_ms\""))
    }
}
