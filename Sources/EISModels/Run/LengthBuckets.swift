/// The padded sequence lengths a batch of token sequences may take.
///
/// Servers see the number of token rows of every round; padding each batch to the smallest bucket
/// that holds its longest sequence means they learn only the bucket, not the length.
public struct LengthBuckets: Sendable, Equatable {
    /// The lengths, ascending and distinct.
    public let lengths: [Int]

    /// 16, 32, 64, 128, 256, 512.
    public static let standard = try! LengthBuckets([16, 32, 64, 128, 256, 512])  // swiftlint:disable:this force_try

    /// Creates buckets from positive lengths (sorted and deduplicated here).
    ///
    /// - Throws: `ModelPlanError` when the list is empty or holds a length below 1.
    public init(_ lengths: [Int]) throws(ModelPlanError) {
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 }) else {
            throw .invalidParameters("length buckets must be a non-empty list of positive lengths, got \(lengths)")
        }
        self.lengths = Array(Set(lengths)).sorted()
    }

    /// The smallest bucket that holds `length` tokens, or nil when none does.
    public func bucket(for length: Int) -> Int? {
        lengths.first { $0 >= length }
    }
}
