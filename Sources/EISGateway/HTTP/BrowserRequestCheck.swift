import Hummingbird

/// Refuses what a web page on this machine could send: the gateway listens on loopback, so any
/// page the user opens can post to it, and through DNS rebinding read its answers.
///
/// - `Host` must name the listen address (or, for a loopback listener, `localhost`,
///   `127.0.0.1` or `::1`; for a wildcard listener, any IP literal), or one of `allowed_hosts`.
///   A rebinding page's requests carry the attacker's host name, so they stop here. A request
///   without `Host` cannot come from a browser and passes.
/// - A request carrying `Origin` came from a browser; it is refused unless that origin is one of
///   `allowed_origins`. Applications (curl, tritonclient, KServe's client) send none.
///
/// Both checks run before the token check and on every route, the probes included: a page
/// that could read `/healthz` or `/metrics` through rebinding learns the deployment.
struct BrowserRequestCheck<Context: RequestContext>: RouterMiddleware {
    /// The gateway whose configuration applies (looked up per request, so a reload takes effect).
    let current: @Sendable () -> Gateway

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let configuration = current().configuration
        if let authority = request.head.authority, !Self.hostIsAllowed(authority, configuration: configuration) {
            throw GatewayError.hostNotAllowed(
                "Host \"\(authority.prefix(100))\" is not this gateway's listen address; add it to [gateway] allowed_hosts if it names this gateway")
        }
        if let origin = request.headers[.origin], !configuration.allowedOrigins.contains(origin) {
            throw GatewayError.originNotAllowed(
                "requests from web pages (Origin \"\(origin.prefix(100))\") are refused; add the origin to [gateway] allowed_origins to allow it")
        }
        return try await next(request, context)
    }

    /// Whether `authority` (`host[:port]`, an IPv6 literal in brackets) names this gateway.
    static func hostIsAllowed(_ authority: String, configuration: GatewayConfiguration) -> Bool {
        let host = Self.host(of: authority)
        guard !host.isEmpty else { return false }
        if configuration.allowedHosts.contains(where: { Self.normalised($0) == host }) { return true }
        let listen = Self.normalised(configuration.listenHost)
        if host == listen { return true }
        if GatewayConfiguration.isLoopback(host: listen) {
            return ["localhost", "127.0.0.1", "::1"].contains(host)
        }
        if listen == "0.0.0.0" || listen == "::" { return Self.isIPLiteral(host) }
        return false
    }

    /// The host part of an authority, lowercased, without brackets or a trailing dot.
    static func host(of authority: String) -> String {
        var text = Substring(authority)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return "" }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.lastIndex(of: ":") {
            text = text[..<colon]
        }
        return normalised(String(text))
    }

    /// Lowercased, without IPv6 brackets or a trailing dot.
    static func normalised(_ host: String) -> String {
        var text = host.lowercased()
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Whether `host` is an IPv4 dotted quad or an IPv6 literal: a name no DNS answer can rebind.
    static func isIPLiteral(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }
    }
}
