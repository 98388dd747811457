/// One fully connected layer in PyTorch `nn.Linear` layout: `y = W·x + b`.
public struct LinearLayer: Sendable {
    /// The layer's name (the tensor prefix before `.weight`).
    public let name: String
    /// `W`, shape `[out, in]`.
    public let weight: Matrix<Double>
    /// `b`, `out` values, or nil when the file has no bias.
    public let bias: [Double]?

    /// Input width.
    public var inputs: Int { weight.columns }
    /// Output width.
    public var outputs: Int { weight.rows }

    /// Creates a layer.
    ///
    /// - Precondition: a bias, when given, has one value per output.
    public init(name: String, weight: Matrix<Double>, bias: [Double]?) {
        precondition(bias == nil || bias?.count == weight.rows, "bias length must equal the output width")
        self.name = name
        self.weight = weight
        self.bias = bias
    }

    /// Reads every `<name>.weight` [out, in] (with its optional `<name>.bias` [out]) of a file.
    ///
    /// - Throws: `SafetensorsError.malformed` when a weight is not 2-D, a bias does not match
    ///   it, or a value is not finite.
    public static func layers(in file: SafetensorsFile) throws(SafetensorsError) -> [String: LinearLayer] {
        var layers = [String: LinearLayer]()
        for (tensorName, tensor) in file.tensors where tensorName.hasSuffix(".weight") {
            let name = String(tensorName.dropLast(".weight".count))
            guard tensor.shape.count == 2, tensor.shape[0] > 0, tensor.shape[1] > 0 else {
                throw .malformed("'\(tensorName)' has shape \(tensor.shape); a linear weight is [out, in]")
            }
            guard tensor.values.allSatisfy(\.isFinite) else { throw .malformed("'\(tensorName)' holds a non-finite value") }
            var bias: [Double]?
            if let b = file.tensors[name + ".bias"] {
                guard b.shape == [tensor.shape[0]] else {
                    throw .malformed("'\(name).bias' has shape \(b.shape); expected [\(tensor.shape[0])] to match '\(tensorName)'")
                }
                guard b.values.allSatisfy(\.isFinite) else { throw .malformed("'\(name).bias' holds a non-finite value") }
                bias = b.values
            }
            let weight = Matrix(rows: tensor.shape[0], columns: tensor.shape[1], elements: tensor.values)
            layers[name] = LinearLayer(name: name, weight: weight, bias: bias)
        }
        return layers
    }
}
