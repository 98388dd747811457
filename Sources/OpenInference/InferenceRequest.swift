/// An Open Inference Protocol inference request (`POST /v2/models/{m}/infer`).
public struct InferenceRequest: Sendable, Hashable {
    /// The request identifier, echoed in the response (KServe needs one).
    public var id: String?
    /// Request parameters, e.g. `binary_data_output`.
    public var parameters: [String: JSONValue]
    /// The input tensors.
    public var inputs: [Tensor]
    /// The outputs asked for; empty means all of them.
    public var outputs: [RequestedOutput]

    /// Creates a request.
    public init(id: String? = nil, inputs: [Tensor], outputs: [RequestedOutput] = [], parameters: [String: JSONValue] = [:]) {
        self.id = id
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The `binary_data_output` parameter: whether every output should come back in binary.
    public var binaryDataOutput: Bool {
        get { parameters["binary_data_output"]?.boolValue ?? false }
        set { parameters["binary_data_output"] = newValue ? .bool(true) : nil }
    }

    /// Whether output `name` should be sent in binary: its own `binary_data` parameter decides,
    /// else the request's `binary_data_output` (the extension's precedence rule).
    public func wantsBinaryOutput(named name: String) -> Bool {
        if let own = outputs.first(where: { $0.name == name })?.parameters["binary_data"]?.boolValue { return own }
        return binaryDataOutput
    }
}
