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
        let gateway = current()
        if let authority = request.head.authority, !gateway.configuration.allowsHost(authority) {
            throw GatewayError.hostNotAllowed(
                "Host \"\(authority.prefix(100))\" is not this gateway's listen address; add it to [gateway] allowed_hosts if it names this gateway")
        }
        if let origin = request.headers[.origin], !gateway.configuration.allowedOrigins.contains(origin) {
            throw GatewayError.originNotAllowed(
                "requests from web pages (Origin \"\(origin.prefix(100))\") are refused; add the origin to [gateway] allowed_origins to allow it")
        }
        return try await next(request, context)
    }
}
