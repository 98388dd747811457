import EISCore
import Foundation

/// The `mlp` scenario: a small multi-layer model (`steps`), so the benchmark can tell what the
/// gateway spends per share round from what it spends per request.
///
/// The MLP takes the measured layer's input and output widths: IN → 64 → 64 → 64 → OUT with
/// `relu` between, four rounds. The `gateway` scenario is one round of the same request, so
/// `(mlp − gateway) / 3` is the cost of one more round (its three relus of 64 values included,
/// a few hundred nanoseconds), and `gateway − that` is what a request costs besides its round.
/// The servers serve the MLP's layers from the same file as the measured layer.
enum MLPScenario {
    /// The scenario's name and the model's name on the gateways.
    static let name = "mlp"
    /// Share rounds per request.
    static let rounds = 4
    /// Width of the hidden layers.
    static let hidden = 64

    /// The MLP's layers, in order, with their shapes `(inputs, outputs)`.
    static func layers(inputs: Int, outputs: Int) -> [(name: String, inputs: Int, outputs: Int)] {
        [("mlp0", inputs, hidden), ("mlp1", hidden, hidden), ("mlp2", hidden, hidden), ("mlp3", hidden, outputs)]
    }

    /// Writes `layer` and the MLP's layers (drawn as PyTorch initialises `nn.Linear`) into one
    /// temporary safetensors file for the servers and gateways, and returns its path.
    static func writeServedModel(layer: LinearLayer) throws -> String {
        var generator = SystemRandomNumberGenerator()
        var tensors: [SafetensorsWriter.Tensor] = [
            .init(name: "\(layer.name).weight", shape: [layer.outputs, layer.inputs], values: layer.weight.elements.map { Float($0) }),
        ]
        if let bias = layer.bias {
            tensors.append(.init(name: "\(layer.name).bias", shape: [layer.outputs], values: bias.map { Float($0) }))
        }
        for (name, inputs, outputs) in layers(inputs: layer.inputs, outputs: layer.outputs) {
            let bound = 1 / Float(inputs).squareRoot()
            tensors.append(.init(name: "\(name).weight", shape: [outputs, inputs],
                                 values: (0..<(inputs * outputs)).map { _ in Float.random(in: -bound...bound, using: &generator) }))
            tensors.append(.init(name: "\(name).bias", shape: [outputs],
                                 values: (0..<outputs).map { _ in Float.random(in: -bound...bound, using: &generator) }))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("eis-bench-\(getpid())-served.safetensors")
        return try SafetensorsWriter.write(tensors, to: url)
    }

    /// The `[[models]]` section of the MLP for a gateway whose two backends are `serverPorts`,
    /// which serve the file under `servedName`.
    static func modelSection(path: String, servedName: String, serverPorts: [Int]) -> String {
        let steps = layers(inputs: 1, outputs: 1).map { "\"\($0.name)\"" }.joined(separator: ", \"relu\", ")
        return """
            [[models]]
            name = "\(name)"
            path = "\(path)"
            steps = [\(steps)]
            [[models.backends]]
            url = "http://127.0.0.1:\(serverPorts[0])"
            trust_domain = "a"
            remote_model = "\(servedName)"
            [[models.backends]]
            url = "http://127.0.0.1:\(serverPorts[1])"
            trust_domain = "b"
            remote_model = "\(servedName)"
            """
    }
}
