public import EISCore
public import EISModels

/// The gateway's own copy of a model: its linear layers, each one share round (docs/ARCHITECTURE.md,
/// "The round"), and how its inputs are shared.
public struct GatewayModel: Sendable {
    /// Name clients use.
    public let name: String
    /// The linear layers, in the order a request runs them; each is one share round.
    public let layers: [SharedLayer]
    /// For a model of `steps`: the whole network, its linear steps outsourced as rounds and its
    /// local steps run on the gateway. Nil for a one-layer model, which is its single round.
    public let plan: ModelPlan?
    /// Number of shares per input.
    public let shares: Int
    /// How the shares are placed: one per backend, or two per backend of three (replicated 2-of-3).
    public let sharing: SharingScheme
    /// The sharing's arithmetic (ring64 unless the configuration allows float sharing).
    public let arithmetic: Arithmetic
    /// The grid float masks, inputs and shares live on (float arithmetics only; nil for ring64).
    public let floatMaskGrid: FloatMaskGrid?
    /// For a sentence encoder (`kind = "bert-encoder"`): its tokenizer and buckets. Its `plan`
    /// is this model's plan, and its batch rows are token ids (see `GatewayEncoder`).
    public let encoder: GatewayEncoder?
    /// The secret check of every verified layer, by layer name (docs/VERIFICATION.md): drawn from
    /// the secure generator whenever the model is loaded (start and reload), never sent anywhere.
    let checks: [String: FreivaldsCheck]

    /// Input width of a request row.
    public var inputs: Int {
        if case .features(let width)? = plan?.input { return width }
        return layers[0].inputs
    }
    /// Output width of an answer row.
    public var outputs: Int { plan?.outputWidth ?? layers[layers.count - 1].outputs }
    /// Trust domains a round needs: one per share, or two for replicated 2-of-3 sharing (A's and
    /// B's pairs cover all three shares).
    public var minimumDomains: Int { sharing == .replicated2of3 ? 2 : shares }
    /// The layer names, in order: what every backend of the model must serve.
    public var layerNames: [String] { layers.map(\.name) }

    /// A model of the given layers, run as a chain of rounds with no local steps between them
    /// (or as `plan` says, when given).
    ///
    /// - Precondition: at least one layer; without a plan, each layer's input width is the
    ///   previous one's output width; with one, `layers` are the plan's linear layers.
    public init(
        name: String, layers: [SharedLayer], plan: ModelPlan? = nil, shares: Int, arithmetic: Arithmetic = .ring64,
        floatMaskGrid: FloatMaskGrid? = nil, verify: VerificationMode = .auto, sharing: SharingScheme = .additive
    ) {
        precondition(sharing == .additive || (shares == 3 && arithmetic == .ring64), "replicated 2-of-3 sharing is three ring64 shares")
        precondition(!layers.isEmpty, "a model has at least one layer")
        precondition(plan != nil || zip(layers, layers.dropFirst()).allSatisfy { $0.outputs == $1.inputs }, "consecutive layers must fit")
        self.name = name
        self.layers = layers
        self.plan = plan
        self.shares = shares
        self.sharing = sharing
        self.arithmetic = arithmetic
        self.floatMaskGrid = floatMaskGrid
        self.encoder = nil
        self.checks = Self.drawChecks(layers, verify: verify, arithmetic: arithmetic)
    }

    /// Loads the model file named in `configuration`.
    ///
    /// - Throws: `ModelLoadError` naming the file and the problem.
    public init(configuration: ModelConfiguration) throws(ModelLoadError) {
        if configuration.kind == .bertEncoder {
            let encoder = try GatewayEncoder(folder: configuration.path, name: configuration.name)
            self.name = configuration.name
            self.shares = configuration.shares
            self.sharing = configuration.sharing
            self.arithmetic = configuration.arithmetic
            self.encoder = encoder
            self.plan = encoder.plan
            self.floatMaskGrid = nil
            layers = try Self.sharedLayers(of: encoder.plan, configuration)
            self.checks = Self.drawChecks(layers, verify: configuration.verify, arithmetic: configuration.arithmetic)
            return
        }
        let fileLayers: [String: LinearLayer]
        do {
            fileLayers = try LinearLayer.layers(in: try SafetensorsFile(contentsOf: configuration.path))
        } catch {
            throw ModelLoadError(model: configuration.name, message: error.description)
        }
        self.name = configuration.name
        self.shares = configuration.shares
        self.sharing = configuration.sharing
        self.arithmetic = configuration.arithmetic
        self.encoder = nil
        if configuration.arithmetic != .ring64, let range = configuration.floatMaskRange {
            self.floatMaskGrid = FloatMaskGrid(range: range, shares: configuration.shares, arithmetic: configuration.arithmetic)
        } else {
            self.floatMaskGrid = nil
        }
        if let steps = configuration.steps {
            let plan: ModelPlan
            do {
                plan = try ModelPlan.sequential(name: configuration.name, steps: steps, layers: fileLayers)
            } catch {
                throw ModelLoadError(model: configuration.name, message: "steps: \(error.description)")
            }
            self.plan = plan
            layers = try Self.sharedLayers(of: plan, configuration)
            self.checks = Self.drawChecks(layers, verify: configuration.verify, arithmetic: configuration.arithmetic)
            return
        }
        self.plan = nil
        let layer: LinearLayer
        if let wanted = configuration.layer {
            guard let found = fileLayers[wanted] else {
                throw ModelLoadError(model: configuration.name,
                                     message: "\(configuration.path) has no layer '\(wanted)' (has: \(fileLayers.keys.sorted().joined(separator: ", ")))")
            }
            layer = found
        } else {
            guard fileLayers.count == 1, let only = fileLayers.values.first else {
                throw ModelLoadError(model: configuration.name,
                                     message: "\(configuration.path) has \(fileLayers.count) layers (\(fileLayers.keys.sorted().joined(separator: ", "))); name one with `layer`")
            }
            layer = only
        }
        do {
            layers = [try SharedLayer(layer, inputFractionBits: configuration.inputFractionBits,
                                      weightFractionBits: configuration.weightFractionBits)]
        } catch {
            throw ModelLoadError(model: configuration.name, message: "weights do not fit weight_frac_bits = \(configuration.weightFractionBits): \(error)")
        }
        self.checks = Self.drawChecks(layers, verify: configuration.verify, arithmetic: configuration.arithmetic)
    }

    /// Draws fresh secret check vectors, from the secure generator, for each layer `verify` checks.
    private static func drawChecks(_ layers: [SharedLayer], verify: VerificationMode, arithmetic: Arithmetic) -> [String: FreivaldsCheck] {
        var random = SecureRandom()
        var checks = [String: FreivaldsCheck]()
        for layer in layers where verify.checks(inputs: layer.inputs, outputs: layer.outputs, arithmetic: arithmetic) {
            checks[layer.name] = FreivaldsCheck(weights: layer.weights, using: &random)
        }
        return checks
    }

    /// The names of the layers whose partials are verified, in order.
    public var verifiedLayers: [String] { layerNames.filter { checks[$0] != nil } }
}

extension GatewayModel {
    /// The plan's linear layers, in plan order, encoded with the configured fractional bits.
    static func sharedLayers(of plan: ModelPlan, _ configuration: ModelConfiguration) throws(ModelLoadError) -> [SharedLayer] {
        do {
            return try plan.linearLayerNames.map { name throws(FixedPointError) in
                try SharedLayer(plan.layers[name]!, inputFractionBits: configuration.inputFractionBits,
                                weightFractionBits: configuration.weightFractionBits)
            }
        } catch {
            throw ModelLoadError(model: configuration.name, message: "weights do not fit weight_frac_bits = \(configuration.weightFractionBits): \(error)")
        }
    }
}

/// A model file that cannot be served.
public struct ModelLoadError: Error, Sendable, CustomStringConvertible {
    /// The model's configured name.
    public let model: String
    /// What is wrong.
    public let message: String
    public var description: String { "model '\(model)': \(message)" }
}
