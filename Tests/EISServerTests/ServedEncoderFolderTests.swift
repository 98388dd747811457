import EISCore
import EISModels
import EISServer
import Foundation
import Testing

/// `eis-server --model DIR` serves a BERT-family folder's outsourced layers (all-MiniLM-L6-v2
/// from `models/fetch-minilm.sh`): the fused QKV, attention output, FFN up and FFN down of every
/// encoder layer, each encoded exactly as the gateway encodes its own copy, so digests agree.
@Suite(.enabled(if: MiniLMFolder.shouldRun))
struct ServedEncoderFolderTests {

    @Test func aModelFolderIsServedAsItsTwentyFourRoundsWithTheGatewaysDigests() throws {
        let served = try ServedModel(name: "all-MiniLM-L6-v2", path: MiniLMFolder.path, weightFractionBits: 26)
        let expected = try BertEncoder.linearLayers(inFolder: MiniLMFolder.path)
        #expect(served.layers.count == 24)
        #expect(Set(served.layers.keys) == Set(expected.map(\.name)))
        let qkv = try #require(served.layers[BertEncoder.layerName(0, .qkv)])
        #expect(qkv.weights.outputs == 1152 && qkv.weights.inputs == 384)
        for layer in expected {
            let mine = try EncodedWeights(layer.weight, fractionBits: 26)
            #expect(served.layers[layer.name]?.weights.digest == mine.digest, "\(layer.name)")
        }
        #expect(served.description.layers.count == 24)
    }
}

/// Where `models/fetch-minilm.sh` puts all-MiniLM-L6-v2.
enum MiniLMFolder {
    static let path = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models/all-MiniLM-L6-v2").path

    /// Under CI the folder must be there (`.ci/run` fetches it), so a missing one fails instead of skipping.
    static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil || FileManager.default.fileExists(atPath: path + "/model.safetensors")
    }
}
