import EISTestSupport
import Foundation
import Testing
import EISLaunch

/// An unmodified Triton/KServe application against the gateway: `Tests/Peers/triton_client.py`
/// drives the V2 routes with the real `tritonclient[http]` from PyPI (JSON and binary tensors,
/// FP32 and FP64, concurrent requests, bad requests) and reports what it saw; this test judges
/// the report. The gateway and its two share servers are real processes.
@Suite(.serialized, .enabled(if: Peers.shouldRun(.mlserver), "needs .venv/mlserver (Tests/Peers/setup.sh)"))
struct GatewayV2TritonClientTests {
    /// What `triton_client.py` saw for one inference.
    struct Inference: Decodable {
        var shape: [Int]
        var datatype: String
        var id: String?
        var model_name: String?
        var max_error: Double
    }

    /// What it saw for one bad request.
    struct Failure: Decodable {
        var status: String
        var message: String?
    }

    struct Metadata: Decodable {
        struct Tensor: Decodable, Equatable {
            var name: String
            var datatype: String
            var shape: [Int]
        }
        var name: String
        var versions: [String]
        var inputs: [Tensor]
        var outputs: [Tensor]
    }

    struct Report: Decodable {
        struct Concurrent: Decodable {
            var max_error: Double
            var ids: [String]
        }
        struct Server: Decodable {
            var name: String
            var extensions: [String]
        }
        var server_live: Bool
        var server_ready: Bool
        var model_ready: Bool
        var model_ready_unknown: Bool
        var server_metadata: Server
        var model_metadata: Metadata
        var json_fp32, binary_fp32, binary_in_json_out, json_fp64, binary_fp64, single_row, no_requested_outputs, version_1, after_errors: Inference
        var async_16: Concurrent
        var wrong_width, unknown_model, unknown_version, unknown_input, int32, nan_binary, nan_json, out_of_range, unknown_output: Failure
    }

    /// Runs the client against a gateway started with `gatewayKeys` and `modelKeys`.
    static func report(gatewayKeys: String, modelKeys: String = "", inputName: String = "input", outputName: String = "output") async throws -> Report {
        var report: Report?
        try await withProcessDeployment(servers: 2, gatewayKeys: gatewayKeys, modelKeys: modelKeys) { deployment in
            let script = Fixtures.packageRoot.appendingPathComponent("Tests/Peers/triton_client.py").path
            let output = try await ExternalCommand.run(Peers.python(.mlserver), [
                script, "--url", String(deployment.url.dropFirst("http://".count)), "--model", "demo",
                "--model-file", deployment.paths.model, "--layer", "fc", "--input-name", inputName, "--output-name", outputName,
            ], timeout: .seconds(120))
            #expect(output.status == 0, "triton_client.py failed: \(output.standardError.suffix(2000))")
            report = try JSONDecoder().decode(Report.self, from: Data(output.standardOutput.utf8))
        }
        return try #require(report)
    }

    static func check(_ report: Report, inputName: String, outputName: String) {
        #expect(report.server_live && report.server_ready && report.model_ready)
        #expect(!report.model_ready_unknown)
        #expect(report.server_metadata.name == "eis-gateway")
        #expect(report.server_metadata.extensions.contains("binary_tensor_data"))
        #expect(report.model_metadata.name == "demo")
        #expect(report.model_metadata.versions == ["1"])
        #expect(report.model_metadata.inputs == [.init(name: inputName, datatype: "FP32", shape: [-1, 256])])
        #expect(report.model_metadata.outputs == [.init(name: outputName, datatype: "FP32", shape: [-1, 10])])
        let inferences: [(String, Inference, [Int], String)] = [
            ("json_fp32", report.json_fp32, [4, 10], "FP32"),
            ("binary_fp32", report.binary_fp32, [8, 10], "FP32"),
            ("binary_in_json_out", report.binary_in_json_out, [3, 10], "FP32"),
            ("json_fp64", report.json_fp64, [2, 10], "FP64"),
            ("binary_fp64", report.binary_fp64, [5, 10], "FP64"),
            ("single_row", report.single_row, [10], "FP32"),
            ("no_requested_outputs", report.no_requested_outputs, [2, 10], "FP32"),
            ("version_1", report.version_1, [1, 10], "FP32"),
            ("after_errors", report.after_errors, [2, 10], "FP32"),
        ]
        for (name, inference, shape, datatype) in inferences {
            #expect(inference.shape == shape, "\(name)")
            #expect(inference.datatype == datatype, "\(name)")
            #expect(inference.id == name, "\(name): the request id is echoed")
            #expect(inference.model_name == "demo", "\(name)")
            // Fixed point is exact to ~1e-7; FP32 answers add float32 rounding of values below 2.
            #expect(inference.max_error < 1e-6, "\(name): max |y − (W·x + b)| = \(inference.max_error)")
        }
        #expect(report.async_16.max_error < 1e-6)
        #expect(report.async_16.ids == (0..<16).map { "async-\($0)" })
        let failures: [(String, Failure, String, String)] = [
            ("wrong_width", report.wrong_width, "400", "wrong_length: "),
            ("unknown_model", report.unknown_model, "404", "unknown_model: "),
            ("unknown_version", report.unknown_version, "404", "unknown_version: "),
            ("unknown_input", report.unknown_input, "400", "wrong_tensor: "),
            ("int32", report.int32, "400", "unsupported: "),
            ("nan_binary", report.nan_binary, "400", "not_finite: "),
            ("nan_json", report.nan_json, "400", "malformed_json: "),
            ("out_of_range", report.out_of_range, "400", "out_of_range: "),
            ("unknown_output", report.unknown_output, "400", "wrong_tensor: "),
        ]
        for (name, failure, status, prefix) in failures {
            #expect(failure.status == status, "\(name): \(failure.message ?? "")")
            #expect(failure.message?.hasPrefix(prefix) == true, "\(name): \(failure.message ?? "")")
        }
    }

    /// As the shipped gateway.conf runs: batching on, default tensor names.
    @Test func tritonClientWorksUnchangedWithBatching() async throws {
        let report = try await Self.report(gatewayKeys: "batching = true\nmax_batch = 32\nmax_delay_ms = 1")
        Self.check(report, inputName: "input", outputName: "output")
    }

    /// Without batching, with the tensor names of a model the application was written for.
    @Test func tritonClientWorksWithConfiguredTensorNames() async throws {
        let report = try await Self.report(gatewayKeys: "batching = false", modelKeys: "v2_input_name = \"INPUT__0\"\nv2_output_name = \"OUTPUT__0\"",
                                           inputName: "INPUT__0", outputName: "OUTPUT__0")
        Self.check(report, inputName: "INPUT__0", outputName: "OUTPUT__0")
    }
}
