public import EISCore

/// A whole model as an ordered list of steps over named values, validated when it is built.
///
/// The plan's input is the value `ModelPlan.inputName`; each step reads earlier values and writes
/// a new one; the last step's value is the output. Linear steps name layers of `layers` and are
/// the rounds a gateway outsources; every other step is local. A sequential network
/// (`ModelPlan.sequential`) and a BERT encoder (`BertEncoder`) are both plans.
///
/// Building a plan checks everything that does not depend on the input: every value is written
/// before it is read and only once, every linear layer exists, and widths and row kinds agree
/// from step to step, so a model that cannot run is refused before its first request.
public struct ModelPlan: Sendable {
    /// What the plan takes.
    public enum Input: Sendable, Equatable {
        /// A batch of feature rows of this width.
        case features(width: Int)
        /// A `TokenBatch`, read by an `embedding` step.
        case tokens
    }

    /// What the rows of a value stand for; some operations need one kind.
    enum RowKind: Equatable, CustomStringConvertible {
        case featureRows, tokenIds, tokens, sequences

        var description: String {
            switch self {
            case .featureRows: "feature rows"
            case .tokenIds: "token ids"
            case .tokens: "token rows"
            case .sequences: "one row per sequence"
            }
        }
    }

    /// The width and row kind of a value, known before any input is seen.
    struct ValueShape: Equatable {
        let width: Int
        let kind: RowKind
    }

    /// The name of the plan's input value.
    public static let inputName = "input"

    /// The model's name, used in error messages.
    public let name: String
    /// What the plan takes.
    public let input: Input
    /// The steps, in order.
    public let steps: [PlanStep]
    /// The linear layers the steps use, by name (weights `[out, in]` and bias).
    public let layers: [String: LinearLayer]
    /// The width of each row of the output.
    public let outputWidth: Int
    /// Whether the output has one row per sequence (after pooling) rather than one per input row or token.
    public let outputIsPerSequence: Bool
    /// For each step, the values whose last reader it is (freed after the step).
    let releasedAfter: [[String]]

    /// Builds and validates a plan.
    ///
    /// - Parameter layers: layers by name; may hold layers no step uses (only used ones are kept).
    /// - Throws: `ModelPlanError` naming the first step that cannot run.
    public init(name: String, input: Input, steps: [PlanStep], layers: [String: LinearLayer]) throws(ModelPlanError) {
        guard !steps.isEmpty else { throw .unknownStep("model '\(name)' has no steps") }
        var shapes = [String: ValueShape]()
        switch input {
        case .features(let width):
            guard width > 0 else { throw .shapeMismatch("model '\(name)': input width \(width) is not positive") }
            shapes[Self.inputName] = ValueShape(width: width, kind: .featureRows)
        case .tokens:
            shapes[Self.inputName] = ValueShape(width: 0, kind: .tokenIds)
        }
        var used = [String: LinearLayer]()
        var lastReader = [String: Int]()
        for (index, step) in steps.enumerated() {
            let context = "model '\(name)', step \(index) (\(step.operation.label))"
            var inputShapes = [ValueShape]()
            for value in step.inputs {
                guard let shape = shapes[value] else { throw .unknownValue("\(context) reads '\(value)', which no earlier step writes") }
                inputShapes.append(shape)
                lastReader[value] = index
            }
            guard shapes[step.output] == nil else { throw .unknownValue("\(context) writes '\(step.output)', which already exists") }
            let shape = try Self.outputShape(of: step, inputs: inputShapes, layers: layers, context: context)
            if case .linear(let layerName) = step.operation { used[layerName] = layers[layerName] }
            shapes[step.output] = shape
        }
        guard let output = shapes[steps[steps.count - 1].output], output.kind != .tokenIds else {
            throw .shapeMismatch("model '\(name)': the last step does not produce activations")
        }
        var released = [[String]](repeating: [], count: steps.count)
        for (value, index) in lastReader { released[index].append(value) }
        self.name = name
        self.input = input
        self.steps = steps
        self.layers = used
        self.outputWidth = output.width
        self.outputIsPerSequence = output.kind == .sequences
        self.releasedAfter = released
    }

    /// The names of the linear layers, in the order the plan first uses them.
    public var linearLayerNames: [String] {
        var seen = Set<String>(), names = [String]()
        for step in steps {
            if case .linear(let layer) = step.operation, seen.insert(layer).inserted { names.append(layer) }
        }
        return names
    }

    /// The linear layers (weights and bias), in the order the plan first uses them.
    public var linearLayers: [LinearLayer] {
        linearLayerNames.compactMap { layers[$0] }
    }

    private static func outputShape(
        of step: PlanStep, inputs: [ValueShape], layers: [String: LinearLayer], context: String
    ) throws(ModelPlanError) -> ValueShape {
        let arity = if case .add = step.operation { 2 } else { 1 }
        guard inputs.count == arity else { throw .unknownValue("\(context) takes \(arity) input(s), got \(inputs.count)") }
        let x = inputs[0]
        if case .embedding = step.operation {} else {
            guard inputs.allSatisfy({ $0.kind != .tokenIds }) else {
                throw .shapeMismatch("\(context) reads token ids; only an embedding step can")
            }
        }
        switch step.operation {
        case .linear(let layerName):
            guard let layer = layers[layerName] else {
                let known = layers.keys.sorted().prefix(20).joined(separator: ", ")
                throw .missingLayer("\(context): the model has no linear layer '\(layerName)' (it has: \(known))")
            }
            guard layer.inputs == x.width else {
                throw .shapeMismatch("\(context): layer '\(layerName)' takes \(layer.inputs) inputs, but its input has width \(x.width)")
            }
            return ValueShape(width: layer.outputs, kind: x.kind)
        case .relu, .gelu, .tanh, .sigmoid, .softmax, .l2Normalize:
            return x
        case .layerNorm(let parameters):
            guard parameters.width == x.width else {
                throw .shapeMismatch("\(context): layer norm of width \(parameters.width) on a value of width \(x.width)")
            }
            return x
        case .add:
            guard inputs[1] == x else {
                throw .shapeMismatch("\(context): adding width \(x.width) (\(x.kind)) to width \(inputs[1].width) (\(inputs[1].kind))")
            }
            return x
        case .embedding(let tables):
            guard x.kind == .tokenIds else { throw .shapeMismatch("\(context) needs the plan's token input, got \(x.kind)") }
            return ValueShape(width: tables.width, kind: .tokens)
        case .selfAttention(let heads):
            guard x.kind == .tokens else { throw .shapeMismatch("\(context) needs token rows, got \(x.kind)") }
            guard heads > 0, x.width % (3 * heads) == 0 else {
                throw .shapeMismatch("\(context): a fused QKV value of width \(x.width) does not split into Q, K, V of \(heads) equal heads")
            }
            return ValueShape(width: x.width / 3, kind: .tokens)
        case .meanPooling:
            guard x.kind == .tokens else { throw .shapeMismatch("\(context) needs token rows, got \(x.kind)") }
            return ValueShape(width: x.width, kind: .sequences)
        }
    }
}
