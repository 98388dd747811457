/// The JSON body of a V2 readiness or liveness answer: `{"ready": true}` (or `"live"`).
///
/// Servers differ: KServe sends this body, MLServer an empty one with status 200, so the status
/// is what counts and this body only refines it.
public struct ReadinessBody: Sendable, Hashable {
    /// `ready` (or `live`) as the server stated it.
    public var ready: Bool

    /// Wraps a state.
    public init(ready: Bool) {
        self.ready = ready
    }

    /// `{"ready":true}` or `{"ready":false}`.
    public func encoded() -> [UInt8] {
        Array((ready ? "{\"ready\":true}" : "{\"ready\":false}").utf8)
    }

    /// Reads `{"ready": bool}` or `{"live": bool}`; nil for anything else.
    public init?(decoding body: [UInt8], limits: OpenInferenceLimits = OpenInferenceLimits()) {
        guard let object = try? TensorCoding.decode(body, jsonLength: nil, limits: limits, { (reader, _) throws(OpenInferenceError) in
            try reader.readObjectValue()
        }), let state = object["ready"]?.boolValue ?? object["live"]?.boolValue else { return nil }
        ready = state
    }
}
