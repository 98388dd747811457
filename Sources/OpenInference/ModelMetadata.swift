/// An Open Inference Protocol model metadata answer (`GET /v2/models/{m}[/versions/{v}]`).
public struct ModelMetadata: Sendable, Hashable {
    /// The model's name.
    public var name: String
    /// Versions the server has.
    public var versions: [String]
    /// The serving platform, e.g. `pytorch_torchscript` (KServe and MLServer may leave it empty).
    public var platform: String
    /// The inputs the model takes.
    public var inputs: [TensorMetadata]
    /// The outputs it gives.
    public var outputs: [TensorMetadata]
    /// Extra model parameters (MLServer shows those of model-settings.json; KServe has none).
    public var parameters: [String: JSONValue]

    /// Creates metadata.
    public init(name: String, versions: [String] = [], platform: String = "", inputs: [TensorMetadata], outputs: [TensorMetadata],
                parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.versions = versions
        self.platform = platform
        self.inputs = inputs
        self.outputs = outputs
        self.parameters = parameters
    }
}
