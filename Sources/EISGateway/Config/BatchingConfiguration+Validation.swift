extension BatchingConfiguration {
    /// The most rows any bucket may have: the native protocol's default row limit.
    static let largestBucket = 65_536

    /// Problems with the batching keys, each with its key path (`gateway.max_batch: …`).
    func validationProblems() -> [String] {
        var problems = [String]()
        if !(1...Self.largestBucket).contains(maxBatch) { problems.append("gateway.max_batch: must be in 1...\(Self.largestBucket)") }
        if maxDelay < .zero || maxDelay > .seconds(1) { problems.append("gateway.max_delay_ms: must be in 0...1000") }
        if paddingBuckets.isEmpty {
            problems.append("gateway.padding_buckets: must list at least one size ([1] turns padding off)")
        } else if !paddingBuckets.allSatisfy({ (1...Self.largestBucket).contains($0) }) {
            problems.append("gateway.padding_buckets: every size must be in 1...\(Self.largestBucket)")
        } else if zip(paddingBuckets, paddingBuckets.dropFirst()).contains(where: { $0 >= $1 }) {
            problems.append("gateway.padding_buckets: sizes must be strictly increasing")
        }
        return problems
    }
}
