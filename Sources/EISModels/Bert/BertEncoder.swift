public import EISCore
internal import Foundation

/// A BERT-family sentence encoder from a Hugging Face folder, as a model plan.
///
/// Reads `config.json`, `model.safetensors` (with or without a `bert.` prefix on tensor names) and
/// sentence-transformers' `modules.json`, Pooling `config.json` and `sentence_bert_config.json`
/// when present. Per encoder layer the plan has four linear rounds: Q, K and V fused into one
/// `[3·hidden, hidden]` layer, the attention output, FFN up and FFN down; embeddings, layer
/// norms, attention's activation products, GELU, residuals, pooling and normalisation are local.
public struct BertEncoder: Sendable {
    /// The model's name (error messages, layer lookups by a gateway).
    public let name: String
    /// The parsed `config.json`.
    public let configuration: BertConfiguration
    /// Pooling, normalisation and truncation from the sentence-transformers files.
    public let settings: SentenceTransformersSettings
    /// The plan: token batch in, one embedding row per sequence out.
    public let plan: ModelPlan
    /// The padded lengths a batch may take, none above the model's position count.
    public let buckets: LengthBuckets

    /// The longest token sequence accepted: `max_seq_length` of sentence-transformers when given,
    /// else the position count.
    public var maxSequenceLength: Int {
        min(settings.maxSequenceLength ?? configuration.maxPositionEmbeddings, configuration.maxPositionEmbeddings)
    }

    /// The linear layers, in plan order, with stable names (see `layerName(_:_:)`): what a share
    /// server must serve for this model.
    public var linearLayers: [LinearLayer] { plan.linearLayers }

    /// The four linear rounds of one encoder layer.
    public enum Round: String, Sendable, CaseIterable {
        /// Q, K and V fused: `[3·hidden, hidden]`, rows Q then K then V.
        case qkv = "attention.self.qkv"
        /// The attention output projection.
        case attentionOutput = "attention.output.dense"
        /// FFN up (`intermediate.dense`).
        case ffnUp = "intermediate.dense"
        /// FFN down (`output.dense`).
        case ffnDown = "output.dense"
    }

    /// The stable name of a round: `encoder.layer.<i>.<round>`, e.g.
    /// `encoder.layer.0.attention.self.qkv`; the other three are the Hugging Face names.
    public static func layerName(_ layer: Int, _ round: Round) -> String {
        "encoder.layer.\(layer).\(round.rawValue)"
    }

    /// Loads a model folder.
    ///
    /// - Parameters:
    ///   - folder: the Hugging Face folder.
    ///   - name: the model's name; the folder's last component when nil.
    ///   - buckets: padded lengths; those above the model's position count are dropped.
    /// - Throws: `ModelPlanError` naming the file and what is missing or unsupported.
    public init(folder: String, name: String? = nil, buckets: LengthBuckets = .standard) throws(ModelPlanError) {
        let url = URL(fileURLWithPath: folder)
        let configPath = url.appendingPathComponent("config.json").path
        guard let configData = FileManager.default.contents(atPath: configPath) else {
            throw .invalidModel("cannot read \(configPath)")
        }
        let configuration = try BertConfiguration(json: configData, path: configPath)
        let settings = try SentenceTransformersSettings(folder: url)
        let tensors = try BertTensors(path: url.appendingPathComponent("model.safetensors").path, configuration: configuration)
        let modelName = name ?? url.lastPathComponent
        let usable = buckets.lengths.filter { $0 <= configuration.maxPositionEmbeddings }
        self.buckets = try LengthBuckets(usable.isEmpty ? [configuration.maxPositionEmbeddings] : usable)
        self.name = modelName
        self.configuration = configuration
        self.settings = settings
        self.plan = try Self.makePlan(name: modelName, configuration: configuration, normalize: settings.normalize, tensors: tensors)
    }

    /// The linear layers of a model folder (`BertEncoder(folder:).linearLayers`), for a share server.
    public static func linearLayers(inFolder folder: String) throws(ModelPlanError) -> [LinearLayer] {
        try BertEncoder(folder: folder).linearLayers
    }

    /// Pads token sequences (each with its `[CLS]` and `[SEP]`) to the smallest bucket that holds them.
    ///
    /// - Throws: `ModelRunError.invalidInput` for an empty batch or sequence, or a sequence longer
    ///   than `maxSequenceLength`.
    public func tokenBatch(_ sequences: [[Int]], typeIds: [[Int]]? = nil) throws(ModelRunError) -> TokenBatch {
        if let long = sequences.firstIndex(where: { $0.count > maxSequenceLength }) {
            throw .invalidInput("sequence \(long) has \(sequences[long].count) tokens; model '\(name)' takes at most \(maxSequenceLength)")
        }
        return try TokenBatch(sequences: sequences, typeIds: typeIds, buckets: buckets, padTokenId: configuration.padTokenId)
    }

    /// Sentence embeddings, one row per sequence, computed with `evaluator` for the linear rounds.
    public func embed(_ sequences: [[Int]], evaluator: some LinearEvaluator) async throws -> Matrix<Double> {
        try await PlanRunner(plan: plan).run(.tokens(try tokenBatch(sequences)), evaluator: evaluator)
    }

    private static func makePlan(
        name: String, configuration c: BertConfiguration, normalize: Bool, tensors t: BertTensors
    ) throws(ModelPlanError) -> ModelPlan {
        let hidden = c.hiddenSize, eps = c.layerNormEpsilon
        func layerNorm(_ prefix: String) throws(ModelPlanError) -> PlanOperation {
            .layerNorm(try LayerNormParameters(gamma: try t.vector(prefix + ".weight", count: hidden),
                                               beta: try t.vector(prefix + ".bias", count: hidden), epsilon: eps))
        }
        let tables = try EmbeddingTables(
            word: try t.matrix("embeddings.word_embeddings.weight", rows: c.vocabularySize, columns: hidden),
            position: try t.matrix("embeddings.position_embeddings.weight", rows: c.maxPositionEmbeddings, columns: hidden),
            tokenType: try t.matrix("embeddings.token_type_embeddings.weight", rows: c.typeVocabularySize, columns: hidden))
        var steps = [PlanStep(.embedding(tables), ModelPlan.inputName, into: "embeddings"),
                     PlanStep(try layerNorm("embeddings.LayerNorm"), "embeddings", into: "hidden.0")]
        var layers = [String: LinearLayer]()
        for i in 0..<c.hiddenLayers {
            let p = "encoder.layer.\(i)."
            var qkvWeight = [Double](), qkvBias = [Double]()
            for part in ["query", "key", "value"] {
                qkvWeight += try t.matrix(p + "attention.self.\(part).weight", rows: hidden, columns: hidden).elements
                qkvBias += try t.vector(p + "attention.self.\(part).bias", count: hidden)
            }
            let qkv = layerName(i, .qkv)
            layers[qkv] = LinearLayer(name: qkv, weight: Matrix(rows: 3 * hidden, columns: hidden, elements: qkvWeight), bias: qkvBias)
            for (round, rows, columns) in [(Round.attentionOutput, hidden, hidden), (.ffnUp, c.intermediateSize, hidden), (.ffnDown, hidden, c.intermediateSize)] {
                let layer = layerName(i, round)
                layers[layer] = LinearLayer(name: layer, weight: try t.matrix(layer + ".weight", rows: rows, columns: columns),
                                            bias: try t.vector(layer + ".bias", count: rows))
            }
            let h = "hidden.\(i)", v = "layer.\(i)."
            steps += [
                PlanStep(.linear(qkv), h, into: v + "qkv"),
                PlanStep(.selfAttention(heads: c.attentionHeads), v + "qkv", into: v + "context"),
                PlanStep(.linear(layerName(i, .attentionOutput)), v + "context", into: v + "attention"),
                PlanStep(.add, [v + "attention", h], into: v + "attention.residual"),
                PlanStep(try layerNorm(p + "attention.output.LayerNorm"), v + "attention.residual", into: v + "attention.normed"),
                PlanStep(.linear(layerName(i, .ffnUp)), v + "attention.normed", into: v + "ffn.up"),
                PlanStep(.gelu, v + "ffn.up", into: v + "ffn.activation"),
                PlanStep(.linear(layerName(i, .ffnDown)), v + "ffn.activation", into: v + "ffn.down"),
                PlanStep(.add, [v + "ffn.down", v + "attention.normed"], into: v + "ffn.residual"),
                PlanStep(try layerNorm(p + "output.LayerNorm"), v + "ffn.residual", into: "hidden.\(i + 1)"),
            ]
        }
        steps.append(PlanStep(.meanPooling, "hidden.\(c.hiddenLayers)", into: "pooled"))
        if normalize { steps.append(PlanStep(.l2Normalize, "pooled", into: "embedding")) }
        return try ModelPlan(name: name, input: .tokens, steps: steps, layers: layers)
    }
}
