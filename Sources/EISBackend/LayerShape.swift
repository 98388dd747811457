/// A linear layer's input and output widths.
public struct LayerShape: Sendable, Hashable, CustomStringConvertible {
    /// Input width.
    public var inputs: Int
    /// Output width.
    public var outputs: Int

    /// Creates a shape.
    public init(inputs: Int, outputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
    }

    public var description: String { "\(inputs)→\(outputs)" }
}
