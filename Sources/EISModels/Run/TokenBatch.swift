/// A batch of token sequences padded to one length, with the mask that says which positions are real.
///
/// Row `s · length + t` of every activation belongs to position `t` of sequence `s`; padding
/// positions carry `padTokenId` and a false mask, and are excluded from attention keys and pooling.
public struct TokenBatch: Sendable, Equatable {
    /// The number of sequences.
    public let sequences: Int
    /// The padded length of every sequence.
    public let length: Int
    /// Token ids, `sequences × length`, row-major.
    public let ids: [Int]
    /// Token type (segment) ids, `sequences × length`.
    public let typeIds: [Int]
    /// Whether each position is a real token, `sequences × length`.
    public let mask: [Bool]
    /// The number of real tokens in each sequence.
    public let realLengths: [Int]

    /// The number of token rows, `sequences × length`.
    public var rowCount: Int { sequences * length }

    /// Pads sequences to `length`.
    ///
    /// - Parameters:
    ///   - sequences: the token ids of each sequence (at least one sequence, each with at least one token).
    ///   - typeIds: token types per sequence, same lengths; all zero when nil.
    ///   - length: the padded length.
    ///   - padTokenId: the id placed at padding positions.
    /// - Throws: `ModelRunError.invalidInput` for an empty batch, an empty or over-long sequence,
    ///   or type ids that do not match their sequence.
    public init(sequences: [[Int]], typeIds: [[Int]]? = nil, length: Int, padTokenId: Int = 0) throws(ModelRunError) {
        guard !sequences.isEmpty else { throw .invalidInput("the batch holds no sequence") }
        guard length > 0 else { throw .invalidInput("padded length \(length) is not positive") }
        if let typeIds, typeIds.count != sequences.count {
            throw .invalidInput("\(typeIds.count) token type lists for \(sequences.count) sequences")
        }
        var ids = [Int](repeating: padTokenId, count: sequences.count * length)
        var types = [Int](repeating: 0, count: sequences.count * length)
        var mask = [Bool](repeating: false, count: sequences.count * length)
        for (s, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty else { throw .invalidInput("sequence \(s) has no token") }
            guard sequence.count <= length else {
                throw .invalidInput("sequence \(s) has \(sequence.count) tokens, more than the padded length \(length)")
            }
            if let typeIds, typeIds[s].count != sequence.count {
                throw .invalidInput("sequence \(s) has \(sequence.count) tokens and \(typeIds[s].count) token types")
            }
            for (t, id) in sequence.enumerated() {
                ids[s * length + t] = id
                types[s * length + t] = typeIds?[s][t] ?? 0
                mask[s * length + t] = true
            }
        }
        self.sequences = sequences.count
        self.length = length
        self.ids = ids
        self.typeIds = types
        self.mask = mask
        self.realLengths = sequences.map(\.count)
    }

    /// Pads sequences to the smallest of `buckets` that holds the longest of them.
    ///
    /// - Throws: `ModelRunError.invalidInput` when the longest sequence exceeds every bucket, or
    ///   for the reasons of `init(sequences:typeIds:length:padTokenId:)`.
    public init(sequences: [[Int]], typeIds: [[Int]]? = nil, buckets: LengthBuckets, padTokenId: Int = 0) throws(ModelRunError) {
        let longest = sequences.map(\.count).max() ?? 0
        guard let length = buckets.bucket(for: longest) else {
            throw .invalidInput("a sequence has \(longest) tokens, more than the largest length bucket \(buckets.lengths.last ?? 0)")
        }
        try self.init(sequences: sequences, typeIds: typeIds, length: length, padTokenId: padTokenId)
    }
}
