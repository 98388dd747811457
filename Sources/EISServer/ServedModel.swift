public import EISCore
import EISModels
import Foundation

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

    /// Loads every linear layer of a model and encodes its weights: every `nn.Linear` layer of a
    /// safetensors file, or, for a Hugging Face BERT-family folder (`config.json`,
    /// `model.safetensors`), the layers the gateway outsources: per encoder layer Q, K and V fused
    /// into one `[3·hidden, hidden]` layer, the attention output, FFN up and FFN down, under the
    /// names `EISModels.BertEncoder` gives them.
    ///
    /// - Throws: `SafetensorsError`, `ModelPlanError` (a folder that is not such an encoder), or
    ///   `FixedPointError` (a weight too large for `fw`), or `ServedModelError.noLayers`.
    public init(name: String, path: String, weightFractionBits: Int) throws {
        var isDirectory: ObjCBool = false
        let linear: [String: LinearLayer]
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            linear = Dictionary(uniqueKeysWithValues: try BertEncoder.linearLayers(inFolder: path).map { ($0.name, $0) })
        } else {
            linear = try LinearLayer.layers(in: try SafetensorsFile(contentsOf: path))
        }
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
