import EISBackend
import EISCore

/// Pads every batch with dummy rows up to a fixed bucket size, so a backend sees only bucket
/// sizes, never how many rows were real.
///
/// Dummy rows are drawn from the generator the caller passes (the secure one in production)
/// and then shared exactly like real rows. In ring64 every share of any row is uniform over
/// Z/2^64, so a backend holding one share cannot tell a dummy row from a real one. The
/// pipeline drops their partial results before decoding, so they never reach a response.
struct Padding: Sendable {
    /// Allowed row counts, strictly increasing; the last one's multiples serve larger batches.
    let buckets: [Int]
    /// Most rows every backend of the model accepts in one call: padding never goes past it,
    /// so it acts as one more bucket (a batch already larger is sent as it is).
    let maxRows: Int

    /// No padding: every row count is a multiple of 1.
    static let none = Padding(buckets: [1])

    /// Creates a padding rule.
    ///
    /// - Precondition: `buckets` is non-empty, positive and strictly increasing (checked by
    ///   `BatchingConfiguration.validationProblems`); `maxRows ≥ 1`.
    init(buckets: [Int], maxRows: Int = .max) {
        precondition(!buckets.isEmpty && buckets.allSatisfy { $0 > 0 } && zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 },
                     "padding buckets must be positive and strictly increasing, got \(buckets)")
        precondition(maxRows >= 1, "maxRows must be at least 1")
        self.buckets = buckets
        self.maxRows = maxRows
    }

    /// The number of rows a batch of `rows` real rows is sent with: the smallest bucket that
    /// holds it, or the next multiple of the largest bucket, but never more than `maxRows`
    /// (nor fewer than `rows`).
    func paddedCount(_ rows: Int) -> Int {
        paddedCount(rows, maxRows: maxRows)
    }

    /// `paddedCount(_:)` under a tighter row limit (an encoder's rows per batch for one length).
    func paddedCount(_ rows: Int, maxRows: Int) -> Int {
        let padded: Int
        if let bucket = buckets.first(where: { $0 >= rows }) {
            padded = bucket
        } else {
            let largest = buckets[buckets.count - 1]
            padded = (rows + largest - 1) / largest * largest
        }
        return max(rows, min(padded, maxRows))
    }

    /// `secret` (the input of `model`'s first round) with dummy rows appended up to `paddedCount(secret.rows)`.
    func pad(_ secret: ShareMatrix, model: GatewayModel, using generator: inout some RandomNumberGenerator) -> ShareMatrix {
        // An encoder's rows are sequences: a long bucket holds fewer per message.
        let limit = model.encoder.map { min(maxRows, $0.maxSequences(inBucket: secret.columns)) } ?? maxRows
        let dummies = paddedCount(secret.rows, maxRows: limit) - secret.rows
        guard dummies > 0 else { return secret }
        let columns = secret.columns
        switch secret {
        case .ring(let matrix):
            var elements = matrix.elements
            elements.reserveCapacity((matrix.rows + dummies) * columns)
            let bound = Self.dummyBound(model.layers[0])
            Self.appendUniform(dummies * columns, in: -bound...bound, to: &elements, using: &generator)
            return .ring(Matrix(rows: matrix.rows + dummies, columns: columns, elements: elements))
        case .real(let matrix):
            var elements = matrix.elements
            elements.reserveCapacity((matrix.rows + dummies) * columns)
            if let encoder = model.encoder {
                for _ in 0..<dummies { elements += encoder.dummyRow(length: columns, using: &generator) }
                return .real(Matrix(rows: matrix.rows + dummies, columns: columns, elements: elements))
            }
            // Within ±1 like common real inputs, and within the mask grid's input limit.
            let bound = min(1, model.floatMaskGrid?.inputLimit ?? 1)
            for _ in 0..<(dummies * columns) { elements.append(Double.random(in: -bound...bound, using: &generator)) }
            return .real(Matrix(rows: matrix.rows + dummies, columns: columns, elements: elements))
        }
    }

    /// Appends `count` values drawn uniformly from `range`.
    ///
    /// The words come in blocks (`AdditiveSharing.fillUniform`: one lock of the secure generator
    /// per block, where `Int64.random(in:using:)` took one per value: 1,792 for the 7 dummy rows
    /// of a 256-wide bucket of 8). Each word becomes a value by Lemire's multiply-and-reject, so
    /// every value of `range` stays exactly equally likely.
    static func appendUniform(
        _ count: Int, in range: ClosedRange<Int64>, to elements: inout [Int64], using generator: inout some RandomNumberGenerator
    ) {
        // The number of values in range; 0 stands for all 2^64.
        let width = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        // Products whose low word falls below 2^64 mod width would make some values likelier.
        let threshold = width == 0 ? 0 : (0 &- width) % width
        var words = [Int64](repeating: 0, count: count)
        var next = words.count
        var produced = 0
        while produced < count {
            if next == words.count {
                AdditiveSharing.fillUniform(&words, using: &generator)
                next = 0
            }
            let word = UInt64(bitPattern: words[next])
            next += 1
            guard width != 0 else {
                elements.append(Int64(bitPattern: word))
                produced += 1
                continue
            }
            let (high, low) = word.multipliedFullWidth(by: width)
            guard low >= threshold else { continue }
            elements.append(range.lowerBound &+ Int64(bitPattern: high))
            produced += 1
        }
    }

    /// The largest encoded magnitude of a dummy value: the encoding of 1 (inputs are commonly
    /// normalised to [−1, 1]), narrowed when the weights are so large that the product bound
    /// `max_i ‖W_i‖₁ · ‖x‖∞` could leave the exact range; a dummy row must pass the same
    /// exactness check a real one does.
    static func dummyBound(_ layer: SharedLayer) -> Int64 {
        let one = Int64(1) << layer.inputCodec.fractionBits
        guard layer.weights.maxRowL1 > 0 else { return one }
        let exact = (0x1p62 / layer.weights.maxRowL1).rounded(.down)
        return exact >= Double(one) ? one : Int64(exact)
    }
}
