import CurlTransport
import EISBackend
import EISCore
@testable import EISGateway
import Foundation
import KServeV2Plugin
import Testing
import EISLaunch

/// The `kserve-v2` plugin against real KServe 0.21 and MLServer 1.7.1 servers (Tests/Peers),
/// through an in-process gateway: exact ring64 results, the binary extension and the JSON
/// fallback, refusals of models that cannot be the layer, and float sharing within its bound.
@Suite(.serialized, .enabled(if: V2Peers.shouldRun, V2Peers.skipReason), .v2Peers)
struct KServeV2IntegrationTests {
    /// A `kserve-v2` backend on a peer.
    private func v2Backend(
        _ name: String, on peer: V2Peers.Kind, model: String, domain: String, addsBias: Bool = false, options: [String: BackendOption] = [:]
    ) throws -> BackendConfiguration {
        var backend = BackendConfiguration(name: name, trustDomain: domain, url: try V2Peers.require().url(peer))
        backend.kind = "kserve-v2"
        backend.remoteModel = model
        backend.addsBias = addsBias
        backend.options = options
        return backend
    }

    /// The demo model over `backends`, in `arithmetic` (float ones with masks in ±100).
    private func configuration(_ backends: [BackendConfiguration], arithmetic: Arithmetic = .ring64) -> GatewayConfiguration {
        var configuration = Fixtures.gatewayConfiguration(backendURLs: [])
        configuration.models[0].backends = backends
        configuration.models[0].arithmetic = arithmetic
        if arithmetic != .ring64 {
            configuration.models[0].allowFloatSharing = true
            configuration.models[0].floatMaskRange = Self.maskRange
        }
        return configuration
    }

    private static let maskRange = 100.0

    /// The exact fixed-point answer the gateway must give for a row (Σ W_enc·x_enc in 128 bits).
    private static func exactRingAnswer(_ layer: LinearLayer, _ row: [Double]) -> [Double] {
        (0..<layer.outputs).map { o in
            var exact: Int128 = 0
            for j in 0..<layer.inputs {
                exact += Int128(InferencePipelineTests.fixed(layer.weight[o, j], bits: 26)) * Int128(InferencePipelineTests.fixed(row[j], bits: 22))
            }
            return Double(Int64(exact)) / 0x1p48 + (layer.bias?[o] ?? 0)
        }
    }

    /// Sends `batches` batches of `rows` random rows in [−1, 1] through the model; checks each
    /// ring answer bit for bit and returns the largest |y − (W·x + b)| against Double.
    private func runRandomInputs(_ gateway: Gateway, batches: Int = 10, rows: Int = 5, seed: UInt64, exact: Bool) async throws -> Double {
        let layer = try Fixtures.demoLayer()
        let pipeline = try #require(gateway.pipelines["demo"])
        var worst = 0.0
        for batch in 0..<batches {
            let inputs = (0..<rows).map { Fixtures.randomRow(seed: seed &+ UInt64(batch * rows + $0)) }
            let outputs = try await pipeline.infer(inputs, deadline: .now + .seconds(20))
            #expect(outputs.count == rows)
            for (x, y) in zip(inputs, outputs) {
                if exact { #expect(y == Self.exactRingAnswer(layer, x)) }
                for (value, expected) in zip(y, Fixtures.reference(layer, x)) { worst = max(worst, abs(value - expected)) }
            }
        }
        return worst
    }

    /// The backend plugin of a configured backend.
    private func v2Member(_ gateway: Gateway, _ index: Int) throws -> KServeV2Backend {
        try #require(gateway.pipelines["demo"]?.backends.members[index] as? KServeV2Backend)
    }

    private func report(_ text: String) {
        if ProcessInfo.processInfo.environment["EIS_TEST_VERBOSE"] != nil { print("kserve-v2:", text) }
    }

    @Test func ringSharesSplitBetweenEISServerAndKServeAreExact() async throws {
        let peers = try V2Peers.require()
        report("peers and eis-server started in \(peers.startup)")
        var native = BackendConfiguration(name: "native", trustDomain: "operator-a", url: peers.serverURL)
        native.kind = "eis"
        let configuration = configuration([native, try v2Backend("kserve", on: .kserve, model: "demo-int64", domain: "operator-b")])
        try await withGateway(configuration) { gateway in
            #expect(gateway.pipelines["demo"]?.backends.snapshot == [.verified, .verified])
            let started = ContinuousClock.now
            let worst = try await runRandomInputs(gateway, seed: 100, exact: true)
            self.report("eis + KServe ring64: max error \(worst) over 50 inputs in \(ContinuousClock.now - started)")
            #expect(worst < 1e-6)
            #expect(try v2Member(gateway, 1).sendsBinary, "KServe speaks the binary extension")
        }
    }

    @Test func ringSharesOnKServeAndMLServerAreExactAndMLServerFallsBackToJSON() async throws {
        let configuration = configuration([
            try v2Backend("kserve", on: .kserve, model: "demo-int64", domain: "operator-a"),
            try v2Backend("mlserver", on: .mlserver, model: "demo-int64", domain: "operator-b"),
        ])
        try await withGateway(configuration) { gateway in
            #expect(gateway.pipelines["demo"]?.backends.snapshot == [.verified, .verified])
            let started = ContinuousClock.now
            let worst = try await runRandomInputs(gateway, seed: 200, exact: true)
            self.report("KServe + MLServer ring64: max error \(worst) over 50 inputs in \(ContinuousClock.now - started)")
            #expect(worst < 1e-6)
            #expect(try v2Member(gateway, 0).sendsBinary)
            #expect(try !v2Member(gateway, 1).sendsBinary, "MLServer answers binary input with 422; the plugin switched to JSON")
        }
    }

    @Test func jsonOnlyBackendsWorkWhenBinaryIsSwitchedOff() async throws {
        let configuration = configuration([
            try v2Backend("kserve", on: .kserve, model: "demo-int64", domain: "operator-a", options: ["binary_data": .bool(false)]),
            try v2Backend("mlserver", on: .mlserver, model: "demo-int64", domain: "operator-b", options: ["binary_data": .bool(false)]),
        ])
        try await withGateway(configuration) { gateway in
            let worst = try await runRandomInputs(gateway, batches: 2, seed: 300, exact: true)
            #expect(worst < 1e-6)
            #expect(try !v2Member(gateway, 0).sendsBinary)
        }
    }

    @Test func modelsWithAnotherShapeOrDatatypeAreRefusedNamingTheDifference() async throws {
        let peers = try V2Peers.require()
        var native = BackendConfiguration(name: "native", trustDomain: "operator-a", url: peers.serverURL)
        native.kind = "eis"
        var configuration = configuration([
            native,
            try v2Backend("ks-shape", on: .kserve, model: "demo-int64-wrongshape", domain: "operator-b"),
            try v2Backend("ks-type", on: .kserve, model: "demo-int64-wrongtype", domain: "operator-c"),
            try v2Backend("ml-shape", on: .mlserver, model: "demo-int64-wrongshape", domain: "operator-d"),
            try v2Backend("ml-type", on: .mlserver, model: "demo-int64-wrongtype", domain: "operator-e"),
            try v2Backend("ml-float", on: .mlserver, model: "demo-fp32", domain: "operator-f"),
        ])
        // One test server plays several operators' models; only their metadata matters here.
        configuration.models[0].allowSharedEndpoints = true
        try await withGateway(configuration) { gateway in
            let report = gateway.healthReport()
            let backends = Dictionary(uniqueKeysWithValues: report.models[0].backends.map { ($0.name, $0) })
            #expect(backends["native"]?.status == "verified")
            for name in ["ks-shape", "ml-shape"] {
                #expect(backends[name]?.status == "refused")
                #expect(backends[name]?.reason?.contains("shape 255→10, expected 256→10") == true, "\(backends[name]?.reason ?? "")")
            }
            for name in ["ks-type", "ml-type"] {
                #expect(backends[name]?.status == "refused")
                let reason = backends[name]?.reason ?? ""
                #expect(reason.contains("datatype INT32") && reason.contains("expected INT64"), "\(reason)")
                #expect(reason.hasPrefix("backend '\(name)'") && !reason.contains("\(name): input"), "named once: \(reason)")
            }
            #expect(backends["ml-float"]?.reason?.contains("computes in float32, expected ring64") == true)
            #expect(!report.models[0].servable, "one verified backend cannot take two shares")
        }
    }

    /// `FloatMasking.reconstructionErrorBound` for the demo layer, inputs within 1, plus one
    /// float32 rounding of the result per bias-adding backend (its `+ b` happens in float32).
    private func floatErrorBound(biasAddingBackends: Int = 0) throws -> Double {
        let layer = try Fixtures.demoLayer()
        let rowL1 = (0..<layer.outputs).map { o in (0..<layer.inputs).reduce(0.0) { $0 + abs(layer.weight[o, $1]) } }.max() ?? 0
        let maxBias = layer.bias?.map(abs).max() ?? 0
        let bound = FloatMasking.reconstructionErrorBound(
            rowL1: rowL1, inputs: layer.inputs, grid: FloatMaskGrid(range: Self.maskRange, shares: 2, arithmetic: .float32), maxInput: 1)
        let maxShare = Self.maskRange + 1
        return bound + Double(biasAddingBackends) * 0x1p-24 * (rowL1 * maxShare + maxBias) * 1.01
    }

    @Test func floatSharingOnFP32ModelsMeetsTheDocumentedBound() async throws {
        let configuration = configuration([
            try v2Backend("kserve", on: .kserve, model: "demo-fp32", domain: "operator-a"),
            try v2Backend("mlserver", on: .mlserver, model: "demo-fp32", domain: "operator-b"),
        ], arithmetic: .float32)
        try await withGateway(configuration) { gateway in
            #expect(gateway.pipelines["demo"]?.backends.snapshot == [.verified, .verified])
            let bound = try self.floatErrorBound()
            let worst = try await runRandomInputs(gateway, seed: 400, exact: false)
            self.report("FP32 float sharing (R = \(Self.maskRange)): max error \(worst), bound \(bound)")
            #expect(worst <= bound)
            #expect(worst > 0, "float sharing is approximate; an exact answer would mean the masks were not applied")
        }
    }

    @Test func aBackendThatAddsTheBiasHasItCountedOnce() async throws {
        let configuration = configuration([
            try v2Backend("kserve", on: .kserve, model: "demo-fp32-bias", domain: "operator-a", addsBias: true),
            try v2Backend("mlserver", on: .mlserver, model: "demo-fp32", domain: "operator-b"),
        ], arithmetic: .float32)
        try await withGateway(configuration) { gateway in
            let bound = try self.floatErrorBound(biasAddingBackends: 1)
            let worst = try await runRandomInputs(gateway, batches: 4, seed: 500, exact: false)
            self.report("FP32 with a bias-adding backend: max error \(worst), bound \(bound)")
            #expect(worst <= bound)
        }
    }

    @Test func healthChecksAcceptBothServersReadinessBodies() async throws {
        let peers = try V2Peers.require()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        for peer in V2Peers.Kind.allCases {
            let backend = try KServeV2Backend.Factory().makeBackend(
                endpoint: BackendEndpoint(name: peer.rawValue, kind: "kserve-v2", url: peers.url(peer), trustDomain: "t",
                                          remoteModel: "demo-int64"),
                transport: client)
            try await backend.checkHealth(deadline: .now + .seconds(10))
        }
    }

    @Test func unknownModelsAndVersionsAreRejectedQuotingTheServer() async throws {
        let peers = try V2Peers.require()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        for peer in V2Peers.Kind.allCases {
            let missing = try KServeV2Backend.Factory().makeBackend(
                endpoint: BackendEndpoint(name: peer.rawValue, kind: "kserve-v2", url: peers.url(peer), trustDomain: "t",
                                          remoteModel: "no-such-model"),
                transport: client)
            let missingError = await #expect(throws: BackendError.self) { try await missing.describeLayers(["fc"], deadline: .now + .seconds(10)) }
            report("\(peer) unknown model: \(missingError?.description ?? "?")")
            #expect(missingError?.shortDescription == "rejected")
            #expect(missingError?.message.contains("HTTP 404") == true)
            #expect(missingError?.message.contains("no-such-model") == true)
            let versioned = try KServeV2Backend.Factory().makeBackend(
                endpoint: BackendEndpoint(name: peer.rawValue, kind: "kserve-v2", url: peers.url(peer), trustDomain: "t",
                                          remoteModel: "demo-int64", options: BackendOptions(["version": .string("7")])),
                transport: client)
            let versionError = await #expect(throws: BackendError.self) { try await versioned.checkHealth(deadline: .now + .seconds(10)) }
            report("\(peer) version 7: \(versionError?.description ?? "?")")
            #expect(versionError?.shortDescription == "rejected")
        }
    }
}
