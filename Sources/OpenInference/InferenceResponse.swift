/// An Open Inference Protocol inference response.
public struct InferenceResponse: Sendable, Hashable {
    /// The model that answered (the binary extension's own example leaves it out, so optional).
    public var modelName: String?
    /// The model version that answered.
    public var modelVersion: String?
    /// The request's identifier, echoed.
    public var id: String?
    /// Response parameters.
    public var parameters: [String: JSONValue]
    /// The output tensors.
    public var outputs: [Tensor]

    /// Creates a response.
    public init(modelName: String?, modelVersion: String? = nil, id: String? = nil, outputs: [Tensor], parameters: [String: JSONValue] = [:]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }

    /// The output called `name`, if any.
    public func output(named name: String) -> Tensor? {
        outputs.first { $0.name == name }
    }
}
