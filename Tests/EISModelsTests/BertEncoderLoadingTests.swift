import EISModels
import Foundation
import Testing

@Suite("BERT folders that cannot be served")
struct BertEncoderLoadingTests {
    private func folder(config: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try config.write(to: url.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return url.path
    }

    private let validConfig = """
        {"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 16,
         "layer_norm_eps": 1e-12, "max_position_embeddings": 32, "type_vocab_size": 2, "vocab_size": 50,
         "hidden_act": "%ACT%", "model_type": "bert"}
        """

    private func expectInvalidModel(_ path: String, containing text: String) {
        do {
            _ = try BertEncoder(folder: path)
            Issue.record("loaded \(path)")
        } catch {
            #expect(error.shortDescription == "invalid_model")
            #expect(error.message.contains(text), "\(error.message)")
        }
    }

    @Test("the tanh-approximated GELU is refused, since it misses the accuracy goal")
    func approximateGeluIsRefused() throws {
        let path = try folder(config: validConfig.replacingOccurrences(of: "%ACT%", with: "gelu_new"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        expectInvalidModel(path, containing: "hidden_act 'gelu_new' is not supported")
    }

    @Test("a missing folder, a missing weights file and heads that do not divide the width are refused by name")
    func brokenFoldersAreRefused() throws {
        expectInvalidModel("/nonexistent/eis-model", containing: "cannot read /nonexistent/eis-model/config.json")
        let noWeights = try folder(config: validConfig.replacingOccurrences(of: "%ACT%", with: "gelu"))
        defer { try? FileManager.default.removeItem(atPath: noWeights) }
        expectInvalidModel(noWeights, containing: "model.safetensors")
        let badHeads = try folder(config: validConfig.replacingOccurrences(of: "%ACT%", with: "gelu").replacingOccurrences(of: "\"num_attention_heads\": 2", with: "\"num_attention_heads\": 3"))
        defer { try? FileManager.default.removeItem(atPath: badHeads) }
        expectInvalidModel(badHeads, containing: "not divisible by num_attention_heads 3")
    }
}
