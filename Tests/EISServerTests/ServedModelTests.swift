import EISCore
import EISServer
import Foundation
import Testing
import EISTestSupport

@Suite struct ServedModelTests {
    @Test func loadsTheDemoModelWithItsEncodedWeightsAndDigest() throws {
        let model = try ServedModel(name: "demo", path: demoModelPath, weightFractionBits: 26)
        #expect(model.name == "demo")
        #expect(Set(model.layers.keys) == ["fc"])
        let layer = try #require(model.layers["fc"])
        #expect(layer.weights.matrix.rows == 10)
        #expect(layer.weights.matrix.columns == 256)
        #expect(layer.weights.fractionBits == 26)

        // Independent encoding: round(W · 2^26) from the file's own values.
        let file = try SafetensorsFile(contentsOf: demoModelPath)
        let weight = try #require(file.tensors["fc.weight"])
        let expected = weight.values.map { Int64(($0 * 67_108_864).rounded(.toNearestOrEven)) }
        #expect(layer.weights.matrix.elements == expected)
        #expect(layer.weights.digest.count == 64)

        let description = model.description
        #expect(description.name == "demo")
        #expect(description.protocolVersion == 1)
        #expect(description.layers == [ModelDescription.Layer(
            name: "fc", inputs: 256, outputs: 10, weightFractionBits: 26, arithmetics: ["ring64"], sha256: layer.weights.digest)])
    }

    @Test func theDigestDependsOnTheWeightFractionBits() throws {
        let fw26 = try ServedModel(name: "demo", path: demoModelPath, weightFractionBits: 26)
        let fw20 = try ServedModel(name: "demo", path: demoModelPath, weightFractionBits: 20)
        #expect(fw26.layers["fc"]?.weights.digest != fw20.layers["fc"]?.weights.digest)
    }

    @Test func describesLayersSortedByName() throws {
        try withTemporaryDirectory { directory in
            let path = try writeSafetensors([
                TestTensor(name: "zeta.weight", shape: [1, 2], values: [1, 2]),
                TestTensor(name: "alpha.weight", shape: [3, 1], values: [1, 2, 3]),
            ], to: directory.appendingPathComponent("two.safetensors"))
            let model = try ServedModel(name: "two", path: path, weightFractionBits: 26)
            #expect(model.description.layers.map(\.name) == ["alpha", "zeta"])
            #expect(model.description.layers.map(\.inputs) == [1, 2])
            #expect(model.description.layers.map(\.outputs) == [3, 1])
        }
    }

    @Test(arguments: [
        [TestTensor(name: "fc.bias", shape: [2], values: [1, 2])],
        [TestTensor(name: "embedding", shape: [2, 2], values: [1, 2, 3, 4])],
    ])
    func refusesAFileWithoutLinearLayers(tensors: [TestTensor]) throws {
        try withTemporaryDirectory { directory in
            let path = try writeSafetensors(tensors, to: directory.appendingPathComponent("empty.safetensors"))
            #expect {
                _ = try ServedModel(name: "empty", path: path, weightFractionBits: 26)
            } throws: { error in
                guard let error = error as? ServedModelError, case .noLayers(let reported) = error else { return false }
                return reported == path
            }
        }
    }

    @Test func refusesWeightsTooLargeForTheFractionBits() throws {
        try withTemporaryDirectory { directory in
            // 2^40 · 2^26 = 2^66 does not fit in Int64; with fw = 10 (2^50) it does.
            let path = try writeSafetensors([
                TestTensor(name: "fc.weight", shape: [1, 2], values: [0x1p40, 0.5]),
            ], to: directory.appendingPathComponent("huge.safetensors"))
            #expect {
                _ = try ServedModel(name: "huge", path: path, weightFractionBits: 26)
            } throws: { error in
                guard let error = error as? FixedPointError, case .outOfRange = error else { return false }
                return true
            }
            let model = try ServedModel(name: "huge", path: path, weightFractionBits: 10)
            #expect(model.layers["fc"]?.weights.matrix.elements == [1 << 50, 512])
        }
    }

    @Test func refusesAMissingFile() {
        #expect {
            _ = try ServedModel(name: "x", path: "/nonexistent/eis/model.safetensors", weightFractionBits: 26)
        } throws: { error in
            guard let error = error as? SafetensorsError, case .unreadable = error else { return false }
            return true
        }
    }

    @Test(arguments: [
        ("models/demo.safetensors", "demo"),
        ("/abs/path/model.v2.safetensors", "model.v2"),
        ("plain", "plain"),
        (".hidden", ".hidden"),
    ])
    func defaultModelNameIsTheFileNameWithoutExtension(path: String, name: String) {
        #expect(ShareServerConfiguration.defaultName(forModelAt: path) == name)
        #expect(ShareServerConfiguration(modelPath: path).modelName == name)
    }
}

