/// Upper bounds a decoder enforces before it allocates, so a hostile body cannot make it
/// allocate more than a small multiple of its own size or recurse without end.
public struct OpenInferenceLimits: Sendable, Hashable {
    /// Most tensors in `inputs`, `outputs` (or a metadata list).
    public var maxTensors: Int
    /// Most elements across all tensors of one message.
    public var maxElements: Int
    /// Most dimensions of one shape.
    public var maxRank: Int
    /// Deepest nesting of JSON arrays and objects.
    public var maxDepth: Int

    /// Creates limits; the defaults allow 8 Mi elements (64 MiB of INT64) in up to 64 tensors.
    public init(maxTensors: Int = 64, maxElements: Int = 8 << 20, maxRank: Int = 8, maxDepth: Int = 32) {
        self.maxTensors = maxTensors
        self.maxElements = maxElements
        self.maxRank = maxRank
        self.maxDepth = maxDepth
    }
}
