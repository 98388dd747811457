import Foundation

extension GatewayConfiguration {
    /// Whether `authority` (a `Host` value: `host[:port]`, an IPv6 literal in brackets) names
    /// this gateway: its listen address, a loopback name for a loopback listener, any IP literal
    /// for a wildcard one, or one of `allowed_hosts` (see `BrowserRequestCheck`).
    public func allowsHost(_ authority: String) -> Bool {
        let host = Self.host(of: authority)
        guard !host.isEmpty else { return false }
        if allowedHosts.contains(where: { Self.normalised($0) == host }) { return true }
        let listen = Self.normalised(listenHost)
        if host == listen { return true }
        if Self.isLoopback(host: listen) {
            return ["localhost", "127.0.0.1", "::1"].contains(host)
        }
        if listen == "0.0.0.0" || listen == "::" { return Self.isIPLiteral(host) }
        return false
    }

    /// The host part of an authority, lowercased, without brackets or a trailing dot.
    public static func host(of authority: String) -> String {
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
