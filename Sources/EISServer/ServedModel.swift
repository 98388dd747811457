public import EISCore

/// A model loaded by the share server: its layers with weights encoded into Z/2^64.
///
/// Servers never need the bias: it stays with the gateway.
public struct ServedModel: Sendable {
    /// One layer ready to multiply shares.
    public struct Layer: Sendable {
        /// Layer name.
        public let name: String
        /// `W_enc` and its digest.
        public let weights: EncodedWeights
    }

    /// The model name.
    public let name: String
    /// Layers by name.
    public let layers: [String: Layer]

    /// Loads every `nn.Linear` layer from a safetensors file and encodes its weights.
    ///
    /// - Throws: `SafetensorsError` or `FixedPointError` (a weight too large for `fw`), or
    ///   `ServedModelError.noLayers`.
    public init(name: String, path: String, weightFractionBits: Int) throws {
        let file = try SafetensorsFile(contentsOf: path)
        let linear = try LinearLayer.layers(in: file)
        guard !linear.isEmpty else { throw ServedModelError.noLayers(path: path) }
        var layers = [String: Layer]()
        for (layerName, layer) in linear {
            layers[layerName] = Layer(name: layerName, weights: try EncodedWeights(layer.weight, fractionBits: weightFractionBits))
        }
        self.name = name
        self.layers = layers
    }

    /// The metadata served at `GET /v1/models/{name}`.
    public var description: ModelDescription {
        ModelDescription(name: name, layers: layers.values.sorted { $0.name < $1.name }.map { layer in
            ModelDescription.Layer(
                name: layer.name,
                inputs: layer.weights.inputs,
                outputs: layer.weights.outputs,
                weightFractionBits: layer.weights.fractionBits,
                arithmetics: [Arithmetic.ring64.description],
                sha256: layer.weights.digest
            )
        })
    }
}

/// Why a model could not be served.
public enum ServedModelError: Error, CustomStringConvertible {
    /// The file holds no `<name>.weight` tensor.
    case noLayers(path: String)

    public var description: String {
        switch self {
        case .noLayers(let path): "\(path) holds no linear layer (no '<name>.weight' tensor of shape [out, in])"
        }
    }
}
