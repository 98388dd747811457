import CCurl

/// One curl easy handle plus its error buffer and header list, confined to the I/O thread and
/// reused across transfers.
///
/// A handle remembers the settings it was configured with (`HandleSettings`): a transfer with
/// equal settings only sets what changes per transfer, a transfer with other settings resets it
/// first. Not Sendable on purpose: only `MultiDriver` (on the I/O thread) creates, configures and
/// frees it.
final class EasyHandle {
    /// The `CURL *` handle.
    let handle: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER storage; allocated once because curl writes into it until the transfer ends.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Request headers handed to CURLOPT_HTTPHEADER; curl reads them during every transfer, so
    /// they live as long as the settings that set them.
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// What the handle is configured for; nil after a reset (nothing but curl's defaults).
    private var settings: HandleSettings?
    /// `settings?.fingerprint`, kept apart so the free list can compare it without a copy of
    /// the settings.
    private(set) var fingerprint: Int?

    /// Creates a handle, or nil when curl cannot allocate one.
    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Clears every option (curl_easy_reset) so the next transfer starts clean; connections stay
    /// cached in the multi handle.
    func reset() {
        curl_easy_reset(handle)
        curl_slist_free_all(headerList)
        headerList = nil
        settings = nil
        fingerprint = nil
        errorBuffer[0] = 0
    }

    /// Makes the handle ready for a transfer with `wanted` settings: if it has other settings it
    /// is reset and configured by `configure` (which sets everything that does not change per
    /// transfer); if it has the same, only the error buffer is cleared.
    func prepare(for wanted: HandleSettings, configure: (EasyHandle) throws(TransportError) -> Void) throws(TransportError) {
        if fingerprint == wanted.fingerprint && settings == wanted {
            errorBuffer[0] = 0
            return
        }
        if settings != nil { reset() }
        do throws(TransportError) {
            try check(eis_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
            try configure(self)
        } catch {
            // Half-configured: the next transfer must start from a reset.
            reset()
            throw error
        }
        settings = wanted
        fingerprint = wanted.fingerprint
    }

    /// Sets CURLOPT_HTTPHEADER to `lines`, owning the list until the next reset.
    func setHeaderLines(_ lines: [String]) throws(TransportError) {
        curl_slist_free_all(headerList)
        headerList = nil
        for line in lines {
            guard let appended = line.withCString({ curl_slist_append(headerList, $0) }) else {
                throw TransportError(curlCode: CURLE_OUT_OF_MEMORY)
            }
            headerList = appended
        }
        try set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headerList))
    }

    /// Curl's detailed message for the last failure, or its generic text for `code` when the buffer is empty.
    func errorMessage(for code: CURLcode) -> String {
        if errorBuffer[0] != 0 {
            return String(cString: errorBuffer)
        }
        return TransportError.curlText(code)
    }

    /// Sets a `long` option.
    func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(eis_curl_easy_setopt_long(handle, option, value))
    }

    /// Sets a string option; curl copies strings (except POSTFIELDS), so a temporary C string is enough.
    func set(_ option: CURLoption, _ value: String) throws(TransportError) {
        let code = value.withCString { eis_curl_easy_setopt_string(handle, option, $0) }
        try check(code)
    }

    /// Sets a `curl_off_t` option.
    func set(_ option: CURLoption, offset value: Int64) throws(TransportError) {
        try check(eis_curl_easy_setopt_off_t(handle, option, curl_off_t(value)))
    }

    /// Sets a pointer option whose memory the caller keeps alive for the whole transfer.
    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(TransportError) {
        try check(eis_curl_easy_setopt_pointer(handle, option, value))
    }

    /// Reads a `long` info field; nil if curl does not have it.
    func info(_ info: CURLINFO) -> Int? {
        var value = 0
        guard eis_curl_easy_getinfo_long(handle, info, &value) == CURLE_OK else { return nil }
        return value
    }

    /// Reads a `curl_off_t` info field; nil if curl does not have it.
    func info(offset info: CURLINFO) -> Int64? {
        var value: curl_off_t = 0
        guard eis_curl_easy_getinfo_off_t(handle, info, &value) == CURLE_OK else { return nil }
        return Int64(value)
    }

    /// Turns a failed setopt into a `TransportError` (e.g. an option this libcurl build lacks).
    func check(_ code: CURLcode) throws(TransportError) {
        guard code == CURLE_OK else {
            throw TransportError(curlCode: code)
        }
    }
}
