import EISBackend
import EISCore
import EISModels
import EISTokenizer
import EISTestSupport
import Foundation
import Testing
import eis_gateway

@testable import EISGateway

/// A `kind = "bert-encoder"` model: how its configuration is read and checked, how its token
/// sequences travel as batch rows, and what its dummy rows are.
struct GatewayEncoderTests {
    @Test func kindIsReadAndEncodersRefuseKeysThatDoNotApply() {
        let accepted = GatewayConfigurationTests.problems(GatewayConfigurationTests.validTOML(model: #"kind = "bert-encoder""#))
        #expect(accepted.isEmpty, "\(accepted)")
        let unknown = GatewayConfigurationTests.problems(GatewayConfigurationTests.validTOML(model: #"kind = "gpt""#))
        #expect(unknown.contains { $0.contains("models[0].kind") && $0.contains("bert-encoder") }, "\(unknown)")
        let withSteps = GatewayConfigurationTests.problems(GatewayConfigurationTests.validTOML(model: "kind = \"bert-encoder\"\nsteps = [\"fc\"]"))
        #expect(withSteps.contains { $0.contains("do not apply to kind = \"bert-encoder\"") }, "\(withSteps)")
        let float = GatewayConfigurationTests.problems(GatewayConfigurationTests.validTOML(
            model: "kind = \"bert-encoder\"\narithmetic = \"float32\"\nallow_float_sharing = true\nfloat_mask_range = 8.0"))
        #expect(float.contains { $0.contains("an encoder shares in ring64 only") }, "\(float)")
    }

    @Test func aFolderThatIsNotAnEncoderIsRefusedNamingTheFile() throws {
        var configuration = ModelConfiguration(name: "broken", path: "/nonexistent/model-folder")
        configuration.kind = .bertEncoder
        let error = #expect(throws: ModelLoadError.self) { try GatewayModel(configuration: configuration) }
        #expect(error?.description.contains("/nonexistent/model-folder") == true, "\(String(describing: error))")
    }

    @Test(.enabled(if: MiniLMDeployment.shouldRun))
    func checkConfigRefusesAOneLayerPluginForAnEncoder() async throws {
        try await OffPool.run {
            var configuration = GatewayConfiguration()
            var model = ModelConfiguration(name: "minilm", path: MiniLMDeployment.folder)
            model.kind = .bertEncoder
            for (index, kind) in ["eis", "kserve-v2"].enumerated() {
                var backend = BackendConfiguration(name: "b\(index)", trustDomain: "d\(index)", url: "http://127.0.0.1:\(9000 + index)")
                backend.kind = kind
                model.backends.append(backend)
            }
            configuration.models = [model]
            let problems = Gateway.servingProblems(of: configuration, registry: .standard)
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.contains("b1") == true && problems.first?.contains("layer") == true, "\(problems)")
        }
    }

    @Test(.enabled(if: MiniLMDeployment.shouldRun))
    func sequencesTravelAsRowsOfTheirBucketAndComeBackUnchanged() async throws {
        try await OffPool.run {
            let encoder = try GatewayEncoder(folder: MiniLMDeployment.folder, name: "minilm")
            #expect(encoder.normalizes, "all-MiniLM-L6-v2 lists a Normalize module")
            if case .l2Normalize? = encoder.plan.steps.last?.operation { Issue.record("the gateway's plan leaves normalisation to the routes") }
            #expect(encoder.lengthBuckets == [16, 32, 64, 128, 256, 512])
            #expect(encoder.maxSequences(inBucket: 16) == 256 && encoder.maxSequences(inBucket: 512) == 8)
            let sequences = [[101, 2023, 102], [101, 7592, 2088, 999, 102]]
            guard case .real(let rows) = encoder.rows(sequences, length: 16) else { Issue.record("token rows are reals"); return }
            #expect(rows.rows == 2 && rows.columns == 16)
            #expect(Array(rows.row(0).suffix(13)) == Array(repeating: -1, count: 13))
            let batch = try encoder.tokenBatch(rows)
            #expect(batch.length == 16 && batch.realLengths == [3, 5])
            #expect(Array(batch.ids[0..<3]) == [101, 2023, 102] && batch.mask.filter { $0 }.count == 8)
            var generator = SplitMix64(seed: 7)
            let dummy = encoder.dummyRow(length: 32, using: &generator)
            #expect(dummy.count == 32 && dummy.first == 101 && dummy.last == 102, "[CLS] … [SEP] filling the bucket")
            #expect(dummy.allSatisfy { $0 >= 0 && encoder.tokenizer.isValidID(Int($0)) })
        }
    }
}
