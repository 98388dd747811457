/// An output a request asks for by name (`outputs` of an inference request).
public struct RequestedOutput: Sendable, Hashable {
    /// The output's name.
    public var name: String
    /// Its parameters, e.g. `binary_data`.
    public var parameters: [String: JSONValue]

    /// Asks for output `name`; `binaryData` sets its `binary_data` parameter when given.
    public init(name: String, binaryData: Bool? = nil, parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.parameters = parameters
        if let binaryData { self.parameters["binary_data"] = .bool(binaryData) }
    }
}
