/// A backend adapter: one wire protocol spoken to one server.
///
/// Implementation requirements:
/// - Every call honours its `deadline` (a point in time, never a duration, so timeouts do not
///   compound across retries) and fails with `BackendError.timeout` once it passes.
/// - Calls never block the calling thread; network I/O goes through `CurlHTTPClient`.
/// - `evaluate` returns exactly `[rows, outputs]` elements, in the batch's element type, or
///   throws; it validates the wire answer's shape (and, for floats, that every value is finite)
///   before returning, so a lying server cannot make the gateway read garbage.
/// - Nothing about inputs or shares is logged.
/// - Conformers are `Sendable` and safe to call concurrently.
public protocol Backend: Sendable {
    /// Where this backend is and who operates it.
    var endpoint: BackendEndpoint { get }
    /// What it can compute.
    var capabilities: BackendCapabilities { get }
    /// Succeeds when the server answers its health check in time.
    func checkHealth(deadline: ContinuousClock.Instant) async throws(BackendError)
    /// Reads the remote layer's shape, fractional bits and digest.
    ///
    /// Throws `BackendError.mismatch` when the remote model cannot be this kind of layer at all
    /// (a datatype with no arithmetic, several inputs); the gateway then refuses the backend
    /// with that message, as it does when the returned description differs from its model.
    func describeLayer(deadline: ContinuousClock.Instant) async throws(BackendError) -> RemoteLayer
    /// Multiplies a share batch by the layer's weights; returns `[rows, outputs]` partials.
    func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix
    /// The single HTTP exchange that evaluates `batch`, when this backend needs exactly one;
    /// nil when it needs more (a metadata fetch first, one call per row, a retry).
    ///
    /// Running the exchange must be equivalent to `evaluate`: same request, same checks on the
    /// answer. Throws what `evaluate` would throw before sending anything (an unsupported
    /// arithmetic, say).
    func exchange(for batch: ShareBatch, outputs: Int) throws(BackendError) -> ShareExchange?
}

extension Backend {
    /// No single exchange: `evaluate` is the only way in.
    public func exchange(for batch: ShareBatch, outputs: Int) throws(BackendError) -> ShareExchange? { nil }
}
