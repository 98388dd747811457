/// One step of a model plan: an operation reading named values and writing one new value.
public struct PlanStep: Sendable {
    /// What the step does.
    public let operation: PlanOperation
    /// The values it reads (two for `add`, one otherwise).
    public let inputs: [String]
    /// The value it writes; every step writes a value no other step writes.
    public let output: String

    /// Creates a step.
    public init(_ operation: PlanOperation, _ inputs: [String], into output: String) {
        self.operation = operation
        self.inputs = inputs
        self.output = output
    }

    /// A one-input step.
    public init(_ operation: PlanOperation, _ input: String, into output: String) {
        self.init(operation, [input], into: output)
    }
}
