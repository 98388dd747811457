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

    /// Request headers handed to CURLOPT_HTTPHEADER; curl reads them until the transfer ends.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// POST body handed to CURLOPT_POSTFIELDS, which curl does not copy.
    private var postBody: UnsafeMutableRawPointer?

    /// Response body collected by the write callback.
    private(set) var body: [UInt8] = []
    /// Response headers of the latest response head, names lower-cased.
    private(set) var headers: [(name: String, value: String)] = []
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
        // so curl no longer reads these.
        curl_slist_free_all(headerList)
        postBody?.deallocate()
    }

    /// Applies every option for `request`; timeouts are in milliseconds and already capped by the deadline.
    func configure(
        _ request: HTTPClientRequest,
        timeoutMilliseconds: Int,
        connectTimeoutMilliseconds: Int,
        userAgent: String
    ) throws(TransportError) {
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        try easy.attachErrorBuffer()
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
        try easy.set(CURLOPT_TIMEOUT_MS, max(timeoutMilliseconds, 1))
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, max(connectTimeoutMilliseconds, 1))
        // Lets curl refuse at once when Content-Length already announces too much.
        try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(maxResponseBytes))
        try applyTLS(request.tls)

        try easy.check(
            eis_curl_easy_setopt_write_callback(easy.handle) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
            }
        )
        try easy.set(CURLOPT_WRITEDATA, pointer: userdata)
        try easy.check(
            eis_curl_easy_setopt_header_callback(easy.handle) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                return transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
            }
        )
        try easy.set(CURLOPT_HEADERDATA, pointer: userdata)

        try applyHeaders(request)
        switch request.method {
        case .get:
            try easy.set(CURLOPT_HTTPGET, 1)
        case .post:
            try applyPostBody(request.body)
        }
    }

    /// Verification is on unless the backend explicitly opts out; file and pin options only when given.
    private func applyTLS(_ tls: TLSOptions) throws(TransportError) {
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
    private func applyHeaders(_ request: HTTPClientRequest) throws(TransportError) {
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
        for line in lines {
            guard let appended = line.withCString({ curl_slist_append(headerList, $0) }) else {
                throw TransportError(curlCode: CURLE_OUT_OF_MEMORY)
            }
            headerList = appended
        }
        try easy.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headerList))
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
        try easy.set(CURLOPT_POST, 1)
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
        // Header lines are bytes (RFC 9110 field values are octets); working on them directly
        // avoids Swift's grapheme-cluster walking, which showed up in profiles of every call.
        var line = data[...]
        while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            line = line.dropLast()
        }
        if line.starts(with: "HTTP/".utf8) {
            // A new response head (after a 1xx, or trailers aside) replaces what came before.
            headers.removeAll(keepingCapacity: true)
            return true
        }
        guard let first = line.first else { return true }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // Obsolete line folding: continues the previous field's value.
            if let previous = headers.popLast() {
                headers.append((previous.name, previous.value + " " + Self.trimmed(line)))
            }
            return true
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            return true
        }
        // Field names are ASCII tokens: lower-case them byte by byte.
        let name = String(decoding: line[..<colon].map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }, as: UTF8.self)
        let value = Self.trimmed(line[(colon + 1)...])
        headers.append((name, value))
        return true
    }

    /// Strips optional whitespace around a field value.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
              let end = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
