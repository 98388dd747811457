import CCurl

/// Per-transfer state on the I/O thread: the easy handle, the memory curl reads from, and the buffers
/// the callbacks fill. The caller's continuation is not here: it lives in `CurlIOThread`'s locked
/// registry so cancellation and shutdown can resume it without waiting for this thread.
///
/// Not Sendable: created, used by curl's callbacks and destroyed on the I/O thread only. Callbacks
/// find it through the `userdata` pointer (`Unmanaged`, unretained); `MultiDriver` keeps the strong
/// reference for as long as the easy handle is attached to the multi handle.
final class Transfer {
    /// Response headers past this many bytes abort the transfer; curl itself allows far more.
    static let maxHeaderBytes = 256 * 1024

    /// Identifies the caller's continuation in the registry.
    let id: UInt64
    /// The handle curl runs this transfer on.
    let easy: EasyHandle
    /// The caller's deadline, to tell a connect timeout from the overall deadline.
    let deadline: ContinuousClock.Instant
    /// Body bytes past this abort the transfer with `.responseTooLarge`.
    private let maxResponseBytes: Int

    /// POST body handed to CURLOPT_POSTFIELDS, which curl does not copy.
    private var postBody: UnsafeMutableRawPointer?

    /// Response body collected by the write callback.
    private(set) var body: [UInt8] = []
    /// Header lines of the latest response head, parsed only if a caller asks.
    private(set) var headers = ResponseHeaderBlock()
    /// Total header bytes seen, against `maxHeaderBytes`.
    private var headerBytes = 0
    /// Set when a callback refused data because of a size limit, so CURLE_WRITE_ERROR maps to `.responseTooLarge`.
    private(set) var responseLimitHit = false

    init(id: UInt64, easy: EasyHandle, deadline: ContinuousClock.Instant, maxResponseBytes: Int) {
        self.id = id
        self.easy = easy
        self.deadline = deadline
        self.maxResponseBytes = maxResponseBytes
    }

    deinit {
        // MultiDriver detaches the easy handle from the multi handle before dropping the transfer,
        // so curl no longer reads the body.
        postBody?.deallocate()
    }

    /// Applies every option for `request`; timeouts are in milliseconds and already capped by the
    /// deadline. What stays the same between requests with equal `HandleSettings` is set only when
    /// the handle was configured for other settings.
    func configure(
        _ request: HTTPClientRequest,
        settings: HandleSettings,
        timeoutMilliseconds: Int,
        connectTimeoutMilliseconds: Int
    ) throws(TransportError) {
        try easy.prepare(for: settings) { (easy) throws(TransportError) in
            try Self.applySettings(request, userAgent: settings.userAgent, to: easy)
        }
        // Per transfer: the callbacks find this transfer, the timeouts follow the deadline.
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_WRITEDATA, pointer: userdata)
        try easy.set(CURLOPT_HEADERDATA, pointer: userdata)
        try easy.set(CURLOPT_TIMEOUT_MS, max(timeoutMilliseconds, 1))
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, max(connectTimeoutMilliseconds, 1))
        // Lets curl refuse at once when Content-Length already announces too much.
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(maxResponseBytes))
        if request.method == .post {
            try applyPostBody(request.body)
        }
    }

    /// The options that depend only on `HandleSettings`: address, protocol limits, TLS, headers,
    /// method and the callback functions (their data pointer is set per transfer).
    private static func applySettings(_ request: HTTPClientRequest, userAgent: String, to easy: EasyHandle) throws(TransportError) {
        // Signals are not safe in a multi-threaded process; curl would use them for DNS timeouts.
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        // An empty proxy disables http_proxy & co. from the environment: backends are addressed directly.
        try easy.set(CURLOPT_PROXY, "")
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1))
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_USERAGENT, userAgent)
        try applyTLS(request.tls, to: easy)

        try easy.check(
            eis_curl_easy_setopt_write_callback(easy.handle) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
            }
        )
        try easy.check(
            eis_curl_easy_setopt_header_callback(easy.handle) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
            }
        )

        try applyHeaders(request, to: easy)
        switch request.method {
        case .get:
            try easy.set(CURLOPT_HTTPGET, 1)
        case .post:
            // The body itself is set per transfer.
            try easy.set(CURLOPT_POST, 1)
        }
    }

    /// Verification is on unless the backend explicitly opts out; file and pin options only when given.
    private static func applyTLS(_ tls: TLSOptions, to easy: EasyHandle) throws(TransportError) {
        try easy.set(CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
        try easy.set(CURLOPT_SSL_VERIFYHOST, tls.verifyPeer ? 2 : 0)
        if let caFile = tls.caFile {
            // That file only: libcurl also trusts its compiled-in CA directory (CURLOPT_CAPATH,
            // /etc/ssl/certs on Debian) unless it is cleared, and then any CA found there could
            // vouch for the backend.
            try easy.set(CURLOPT_CAINFO, caFile)
            try easy.set(CURLOPT_CAPATH, pointer: nil)
        }
        if let certificate = tls.clientCertificateFile {
            try easy.set(CURLOPT_SSLCERTTYPE, "PEM")
            try easy.set(CURLOPT_SSLCERT, certificate)
        }
        if let key = tls.clientKeyFile {
            try easy.set(CURLOPT_SSLKEYTYPE, "PEM")
            try easy.set(CURLOPT_SSLKEY, key)
        }
        if let pin = tls.pinnedPublicKey {
            try easy.set(CURLOPT_PINNEDPUBLICKEY, pin)
        }
    }

    /// Builds CURLOPT_HTTPHEADER from the caller's fields plus the suppressions we always want.
    private static func applyHeaders(_ request: HTTPClientRequest, to easy: EasyHandle) throws(TransportError) {
        var lines: [String] = []
        lines.reserveCapacity(request.headers.count + 2)
        for field in request.headers {
            // "Name:" would tell curl to delete the header; "Name;" is curl's spelling of an empty value.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        // curl would otherwise wait up to a second for "100 Continue" before sending larger bodies.
        lines.append("Expect:")
        let hasContentType = request.headers.contains { $0.name.lowercased() == "content-type" }
        if request.method == .post && !hasContentType {
            // Suppresses curl's default form content type, which would mislabel the payload.
            lines.append("Content-Type:")
        }
        try easy.setHeaderLines(lines)
    }

    /// Sends the body from our own copy, which lives until this transfer is freed (curl does not copy POSTFIELDS).
    private func applyPostBody(_ body: [UInt8]) throws(TransportError) {
        // Never leave POSTFIELDS unset for a POST: curl would then read the body from stdin.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(body.count, 1), alignment: 1)
        body.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                buffer.copyMemory(from: base, byteCount: bytes.count)
            }
        }
        postBody = buffer
        try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(body.count))
        try easy.set(CURLOPT_POSTFIELDS, pointer: buffer)
    }

    /// Write callback body: appends data, or refuses it (aborting the transfer) once past the limit.
    private func receiveBody(_ data: UnsafeRawBufferPointer) -> Bool {
        guard data.count <= maxResponseBytes - body.count else {
            responseLimitHit = true
            return false
        }
        if body.isEmpty, let announced = easy.info(offset: CURLINFO_CONTENT_LENGTH_DOWNLOAD_T),
            announced > 0, announced <= Int64(maxResponseBytes)
        {
            body.reserveCapacity(Int(announced))
        }
        body.append(contentsOf: data)
        return true
    }

    /// Header callback body: called once per header line, including status lines and the blank line.
    private func receiveHeader(_ data: UnsafeRawBufferPointer) -> Bool {
        headerBytes += data.count
        guard headerBytes <= Self.maxHeaderBytes else {
            responseLimitHit = true
            return false
        }
        if data.count >= 5, data[0] == UInt8(ascii: "H"), data[1] == UInt8(ascii: "T"), data[2] == UInt8(ascii: "T"),
           data[3] == UInt8(ascii: "P"), data[4] == UInt8(ascii: "/")
        {
            // A new response head (after a 1xx, or trailers aside) replaces what came before.
            headers.removeAll()
            return true
        }
        headers.append(line: data)
        return true
    }
}
