/// What a share server says about one model at `GET /v1/models/{name}` (JSON).
///
/// The gateway compares every field with its own copy of the model and refuses a server that
/// differs, so shares are never combined across different weights.
public struct ModelDescription: Codable, Sendable, Equatable {
    /// One linear layer as served.
    public struct Layer: Codable, Sendable, Equatable {
        /// The layer name (the tensor prefix before `.weight`).
        public var name: String
        /// Input width.
        public var inputs: Int
        /// Output width.
        public var outputs: Int
        /// Fractional bits `fw` of the encoded weights.
        public var weightFractionBits: Int
        /// Arithmetics the server computes this layer in.
        public var arithmetics: [String]
        /// SHA-256 of `W_enc` (see `EncodedWeights.digest`).
        public var sha256: String

        /// Creates a layer description.
        public init(name: String, inputs: Int, outputs: Int, weightFractionBits: Int, arithmetics: [String], sha256: String) {
            self.name = name
            self.inputs = inputs
            self.outputs = outputs
            self.weightFractionBits = weightFractionBits
            self.arithmetics = arithmetics
            self.sha256 = sha256
        }

        enum CodingKeys: String, CodingKey {
            case name, inputs, outputs, arithmetics, sha256
            case weightFractionBits = "weight_frac_bits"
        }
    }

    /// The model name.
    public var name: String
    /// Native protocol version the server speaks.
    public var protocolVersion: Int
    /// The model's layers, sorted by name.
    public var layers: [Layer]

    /// Creates a description.
    public init(name: String, protocolVersion: Int = Int(ShareProtocol.version), layers: [Layer]) {
        self.name = name
        self.protocolVersion = protocolVersion
        self.layers = layers
    }

    enum CodingKeys: String, CodingKey {
        case name, layers
        case protocolVersion = "protocol_version"
    }
}
