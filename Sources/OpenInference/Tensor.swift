/// A named tensor of an inference request (`inputs`) or response (`outputs`).
///
/// Its shape and element count always agree: the initialiser checks them, and the fields that
/// take part are immutable.
public struct Tensor: Sendable, Hashable {
    /// The tensor's name.
    public let name: String
    /// Dimensions, each ≥ 0.
    public let shape: [Int]
    /// The elements, row-major; `data.count` is the product of `shape`.
    public let data: TensorData
    /// Extra tensor parameters (never `binary_data_size`: that belongs to the encoding).
    public var parameters: [String: JSONValue]

    /// Creates a tensor.
    ///
    /// - Throws: `.inconsistent` when a dimension is negative or the element count is not the
    ///   product of the shape; `.tooLarge` when that product overflows.
    public init(name: String, shape: [Int], data: TensorData, parameters: [String: JSONValue] = [:]) throws(OpenInferenceError) {
        let count = try Self.elementCount(of: shape, tensor: name, limit: .max)
        guard count == data.count else {
            throw .inconsistent("tensor '\(name)': shape \(shape) holds \(count) elements, data has \(data.count)")
        }
        self.name = name
        self.shape = shape
        self.data = data
        self.parameters = parameters
    }

    /// The wire datatype.
    public var datatype: TensorDatatype { data.datatype }

    /// The product of `shape`, checked for negative dimensions, overflow and `limit`.
    static func elementCount(of shape: [Int], tensor: String, limit: Int) throws(OpenInferenceError) -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw .inconsistent("tensor '\(tensor)': shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .tooLarge("tensor '\(tensor)': shape \(shape) overflows the element count") }
            count = product
        }
        guard count <= limit else { throw .tooLarge("tensor '\(tensor)': shape \(shape) holds \(count) elements, above the limit of \(limit)") }
        return count
    }
}
