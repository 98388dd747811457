/// The options of a transfer that stay the same from one request to the same endpoint to the
/// next: address, method, header fields, TLS, user agent. An easy handle keeps the last settings
/// it was configured with, so the next transfer with equal settings sets only what changes per
/// transfer (body, timeouts, callback data).
///
/// Why: `curl_easy_reset` and setting every option again cost about 11,000 instructions per
/// transfer (callgrind, docs/OVERHEAD.md), a fifth of what libcurl itself spends on a transfer;
/// a gateway sends every request's shares to the same few backends.
struct HandleSettings: Equatable {
    let url: String
    let method: HTTPMethod
    /// The header fields, in order, as the caller gave them.
    let headers: [String]
    let tls: TLSOptions
    let userAgent: String
    /// A hash of all of the above, so the free list finds a handle for these settings by
    /// comparing integers: reading a handle's whole settings for the comparison copied them,
    /// dozens of retains per transfer. Equal settings have equal fingerprints; `==` decides.
    let fingerprint: Int

    /// The settings `request` needs.
    init(_ request: HTTPClientRequest, userAgent: String) {
        url = request.url
        method = request.method
        // Name and value side by side: equal lists of fields give equal lists of strings, and
        // the check stays a cheap comparison of a few short strings.
        var headers = [String]()
        headers.reserveCapacity(request.headers.count * 2)
        for field in request.headers {
            headers.append(field.name)
            headers.append(field.value)
        }
        self.headers = headers
        tls = request.tls
        self.userAgent = userAgent
        var hasher = Hasher()
        hasher.combine(url)
        hasher.combine(method)
        hasher.combine(headers)
        hasher.combine(tls)
        hasher.combine(userAgent)
        fingerprint = hasher.finalize()
    }
}
