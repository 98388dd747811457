/// A backend adapter: one wire protocol spoken to one server.
///
/// Implementation requirements:
/// - Every call honours its `deadline` (a point in time, never a duration, so timeouts do not
///   compound across retries) and fails with `BackendError.timeout` once it passes.
/// - Calls never block the calling thread; network I/O goes through the `BackendTransport`
///   its factory was given.
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
    /// Reads the shape, fractional bits and digest of each named layer, in the order asked.
    ///
    /// The names are the gateway's layer names; `BackendEndpoint.remoteName(ofLayer:)` gives
    /// each one's name on the server. A backend whose protocol serves one layer per endpoint
    /// (`capabilities.servesLayersByName` false) is only ever asked for one.
    ///
    /// Throws `BackendError.mismatch` when the remote model cannot be these layers at all (no
    /// such layer, a datatype with no arithmetic, several inputs); the gateway then refuses the
    /// backend with that message, as it does when a returned description differs from its own.
    func describeLayers(_ layers: [String], deadline: ContinuousClock.Instant) async throws(BackendError) -> [RemoteLayer]
    /// Multiplies a share batch by the weights of the batch's layer; returns `[rows, outputs]` partials.
    func evaluate(_ batch: ShareBatch, outputs: Int, deadline: ContinuousClock.Instant) async throws(BackendError) -> ShareMatrix
}
