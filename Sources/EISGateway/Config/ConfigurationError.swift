/// Every problem found in a configuration, each with its key path (`models[0].shares: …`).
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, in file order.
    public let problems: [String]

    /// Creates an error from a non-empty list of problems.
    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        problems.count == 1 ? "invalid configuration: \(problems[0])"
            : "invalid configuration (\(problems.count) problems):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
