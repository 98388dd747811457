public import EISBackend
public import EISCore
public import EISModels
public import EISTokenizer
import Foundation

/// What the gateway needs beyond the plan to serve a sentence encoder: its tokenizer, its length
/// buckets, and how a batch of token sequences travels through the batcher.
///
/// A batch of sequences goes through `InferencePipeline` and `Batcher` as the rows of a real
/// matrix, one row per sequence, as wide as its length bucket: token ids as numbers, `-1` at
/// padding positions. So every batch of one batcher has one length, and batching, deadlines,
/// padding with dummy rows and cover traffic work for encoders as for every other model. These
/// rows never leave the gateway: the first round shares the activations after the embedding.
public struct GatewayEncoder: Sendable {
    /// The encoder read from its folder (its plan includes the model's own normalisation).
    public let encoder: BertEncoder
    /// The plan the gateway runs: the encoder's, without a final L2 normalisation, which the
    /// routes apply (TEI's `normalize` may turn it off).
    public let plan: ModelPlan
    /// The model's tokenizer, truncating where sentence-transformers does.
    public let tokenizer: WordPieceTokenizer
    /// Whether the model's own pipeline ends in L2 normalisation (sentence-transformers'
    /// `Normalize` module): what `/v1/embeddings` answers.
    public let normalizes: Bool

    /// The most token rows one batch may hold: a round's largest message (FFN up's answer,
    /// 4096 × 1536 × 8 bytes = 48 MiB for MiniLM) stays below a share server's 64 MiB body limit
    /// and its 8 Mi-element matrix limit.
    public static let maxTokenRowsPerBatch = 4096

    /// Loads the folder's encoder and tokenizer.
    ///
    /// - Throws: `ModelLoadError` naming the file and the problem.
    public init(folder: String, name: String) throws(ModelLoadError) {
        do {
            encoder = try BertEncoder(folder: folder, name: name)
        } catch {
            throw ModelLoadError(model: name, message: "\(folder): \(error.description)")
        }
        do {
            tokenizer = try WordPieceTokenizer(contentsOf: URL(fileURLWithPath: folder), maxLength: encoder.maxSequenceLength)
        } catch {
            throw ModelLoadError(model: name, message: "\(folder): tokenizer: \(error)")
        }
        let steps = encoder.plan.steps
        if case .l2Normalize? = steps.last?.operation {
            normalizes = true
            do {
                plan = try ModelPlan(name: name, input: .tokens, steps: Array(steps.dropLast()), layers: encoder.plan.layers)
            } catch {
                throw ModelLoadError(model: name, message: "\(folder): \(error.description)")
            }
        } else {
            normalizes = false
            plan = encoder.plan
        }
    }

    /// The padded lengths, shortest first.
    public var lengthBuckets: [Int] { encoder.buckets.lengths }

    /// The length bucket a sequence of `count` tokens is padded to.
    public func bucket(for count: Int) -> Int? { encoder.buckets.bucket(for: count) }

    /// How many sequences of a bucket one batch may hold (at least one).
    public func maxSequences(inBucket length: Int) -> Int {
        max(1, Self.maxTokenRowsPerBatch / length)
    }

    /// Sequences of one bucket as batch rows: `rows × length`, ids then `-1` for padding.
    ///
    /// - Precondition: every sequence has 1 to `length` ids.
    public func rows(_ sequences: [[Int]], length: Int) -> ShareMatrix {
        var elements = [Double](repeating: -1, count: sequences.count * length)
        for (s, sequence) in sequences.enumerated() {
            precondition(!sequence.isEmpty && sequence.count <= length, "a sequence must fit its bucket")
            for (t, id) in sequence.enumerated() { elements[s * length + t] = Double(id) }
        }
        return .real(Matrix(rows: sequences.count, columns: length, elements: elements))
    }

    /// Batch rows back as a `TokenBatch` (single-segment sequences: token types all 0).
    public func tokenBatch(_ rows: Matrix<Double>) throws(ModelRunError) -> TokenBatch {
        let sequences = (0..<rows.rows).map { row in
            rows.row(row).prefix { $0 >= 0 }.map { Int($0) }
        }
        return try TokenBatch(sequences: sequences, length: rows.columns, padTokenId: encoder.configuration.padTokenId)
    }

    /// A dummy sequence of a whole bucket: `[CLS]`, random ordinary word pieces, `[SEP]`, so it
    /// costs what a real one of that length costs. Its shares look like any other's.
    public func dummyRow(length: Int, using generator: inout some RandomNumberGenerator) -> [Double] {
        let wrapped = tokenizer.encode(tokenIDs: [])
        let vocabulary = tokenizer.vocabularySize
        // Ids from the upper part of the vocabulary: word pieces, not the special tokens at its start.
        let low = min(1000, vocabulary - 1)
        var row = wrapped.ids.map(Double.init)
        let body = (0..<max(0, length - row.count)).map { _ in Double(Int.random(in: low..<vocabulary, using: &generator)) }
        row.insert(contentsOf: body, at: min(1, row.count))
        return Array(row.prefix(length))
    }
}
