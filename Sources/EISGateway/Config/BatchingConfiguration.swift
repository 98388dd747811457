/// How concurrent requests for one model are coalesced into share batches, and how every batch
/// is padded before a backend sees it (`[gateway]` keys `batching`, `max_batch`,
/// `max_delay_ms`, `padding_buckets`).
///
/// These live in `[gateway]`, not per model, because they trade the gateway's own latency
/// budget (like `request_timeout_ms`) against its CPU; one place to tune them is enough until a
/// deployment shows models that need different settings.
public struct BatchingConfiguration: Sendable, Equatable {
    /// Coalesce concurrent requests for the same model into one sharing per backend. Default on.
    public var enabled = true
    /// Most real rows in one coalesced batch. A request with at least this many rows is sent
    /// alone, never split across sharings. Default 32, one of the default padding buckets, so
    /// a full batch needs no dummy rows: with 64, batches of 33 to 64 rows were padded to 128,
    /// and the dummies cost the gateway (secure randomness, sharing) and the backends (products)
    /// as much as real rows.
    public var maxBatch = 32
    /// Longest time a request waits in the queue for others to join it. The queue is flushed
    /// earlier when it is full, or at once when no batch of the model is in flight, so a lone
    /// request never waits. Default 1 ms.
    public var maxDelay: Duration = .milliseconds(1)
    /// Row counts a backend may see: every batch is padded with dummy rows up to the next one;
    /// a batch larger than the last is padded to a multiple of it. `[1]` turns padding off.
    /// Default `[1, 8, 32, 128]`.
    public var paddingBuckets = [1, 8, 32, 128]

    /// Creates the defaults.
    public init() {}
}
