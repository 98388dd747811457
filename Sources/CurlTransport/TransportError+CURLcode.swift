import CCurl

/// The single place where libcurl result codes become `TransportError`s.
extension TransportError {
    /// Maps a failed transfer's CURLcode; `message` is curl's error buffer (or strerror when empty).
    ///
    /// `responseLimitHit` disambiguates CURLE_WRITE_ERROR: our write callback refuses data only when
    /// the response grew past the limit, so a write error with the flag set is a size failure.
    init(curlCode: CURLcode, message: String, responseLimitHit: Bool = false) {
        let kind: TransportError
        switch curlCode {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .deadlineExceeded
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connectFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION,
            CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            kind = .tlsFailure
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            kind = .badURL
        case CURLE_FILESIZE_EXCEEDED:
            kind = .responseTooLarge
        case CURLE_WRITE_ERROR where responseLimitHit:
            kind = .responseTooLarge
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            kind = .connectionLost
        default:
            self = .curl(code: Int(curlCode.rawValue), message: message)
            return
        }
        self = kind.with(curlCode: Int(curlCode.rawValue), message: message)
    }

    /// Maps a CURLcode using curl's generic text for it, for failures outside a transfer (setopt).
    init(curlCode: CURLcode) {
        self.init(curlCode: curlCode, message: TransportError.curlText(curlCode))
    }

    /// Curl's static description of a code.
    static func curlText(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "" }
        return String(cString: text)
    }
}
