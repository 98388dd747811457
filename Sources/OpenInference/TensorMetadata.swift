/// What model metadata says about one input or output tensor.
public struct TensorMetadata: Sendable, Hashable {
    /// The tensor's name.
    public var name: String
    /// Its datatype as the server names it (kept as text, so an unknown or unsupported one can
    /// be reported as found).
    public var datatype: String
    /// Its shape; −1 marks a dimension of any size (usually the batch).
    public var shape: [Int]
    /// Extra parameters, when the server sends any.
    public var parameters: [String: JSONValue]

    /// Creates a description.
    public init(name: String, datatype: String, shape: [Int], parameters: [String: JSONValue] = [:]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.parameters = parameters
    }
}
