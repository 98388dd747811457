import Hummingbird

/// Requires `Authorization: Bearer <token>` on every route but the health probes, when the
/// gateway was configured with a token (`auth_token_env`).
///
/// `/healthz`, `/v2/health/live` and `/v2/health/ready` stay open so probes need no secret;
/// they reveal backend states, never inputs. `/status` is open too: it is the status page's
/// static HTML, with no data; its data, `/status.json`, needs the token, which the page sends
/// from its URL fragment (`/status#token=…`, never sent to a server). The token is looked up
/// per request, so a reload can change it.
struct BearerTokenCheck<Context: RequestContext>: RouterMiddleware {
    /// The gateway whose token applies.
    let current: @Sendable () -> Gateway

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = current().inboundToken, !Self.openPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard let presented = request.headers[.authorization], Self.matches(presented, token: token) else {
            throw GatewayError.unauthorized("send Authorization: Bearer <token> (the token is in the environment variable named by auth_token_env)")
        }
        return try await next(request, context)
    }

    /// The probes, and the status page's data-free HTML, which need no token.
    static var openPaths: Set<String> { ["/healthz", "/v2/health/live", "/v2/health/ready", "/status"] }

    /// Compares `Bearer <token>` in time that does not depend on where the first difference is.
    /// The scheme name is case-insensitive (RFC 9110, section 11.1), the token is not.
    static func matches(_ presented: String, token: [UInt8]) -> Bool {
        let scheme = Array("bearer ".utf8)
        var given = Array(presented.utf8)
        if given.count >= scheme.count {
            // ASCII lowercase of the scheme only; the length is public, so this branch leaks nothing.
            for index in 0..<scheme.count where (0x41...0x5A).contains(given[index]) { given[index] |= 0x20 }
        }
        let expected = scheme + token
        var difference = UInt8(truncatingIfNeeded: given.count ^ expected.count)
        for index in 0..<max(given.count, expected.count) {
            let a = index < given.count ? given[index] : 0
            let b = index < expected.count ? expected[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
