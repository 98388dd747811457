/// The JSON body of the gateway's `GET /healthz`.
struct HealthReport: Encodable, Sendable {
    /// One backend's state.
    struct BackendState: Encodable, Sendable {
        var name: String
        var url: String
        var trustDomain: String
        var status: String
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case name, url, status, reason
            case trustDomain = "trust_domain"
        }
    }

    /// One model's state.
    struct ModelState: Encodable, Sendable {
        var name: String
        var servable: Bool
        var shares: Int
        var backends: [BackendState]
    }

    /// `ok` when every model can be served, else `degraded`.
    var status: String
    var models: [ModelState]
}
