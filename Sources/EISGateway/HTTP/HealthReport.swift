import Foundation

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

    /// A backend URL as `/healthz` and the log show it: scheme, host, port and path only. User
    /// info and query strings may hold credentials (`https://user:key@…`, `?api_key=…`).
    static func displayURL(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.host != nil else { return "(not a URL)" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "(not a URL)"
    }
}
