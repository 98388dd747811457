import CCurl

/// The single place where libcurl result codes become `TransportError`s.
extension TransportError {
    /// Maps a failed transfer's CURLcode; `message` is curl's error buffer (or strerror when empty).
    ///
    /// `responseLimitHit` disambiguates CURLE_WRITE_ERROR: our write callback refuses data only when
    /// the response grew past the limit, so a write error with the flag set is a size failure.
    /// A send or receive error caused by a TLS alert from the server is a TLS failure, not a lost
    /// connection: with TLS 1.3 a server that refuses the client certificate says so only after the
    /// client has finished its side of the handshake, so curl reports it on the first read.
    /// TLS failures get a plain-words explanation in front of curl's text (see `explainTLSFailure`).
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
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            kind = Self.isTLSAlert(message) ? .tlsFailure : .connectionLost
        case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            kind = .connectionLost
        default:
            self = .curl(code: Int(curlCode.rawValue), message: message)
            return
        }
        let text = kind == .tlsFailure ? Self.explainTLSFailure(curlCode, message) : message
        self = kind.with(curlCode: Int(curlCode.rawValue), message: text)
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

    /// Whether curl's text reports a TLS alert received from the peer, as OpenSSL words it
    /// (`…SSL routines::tlsv13 alert certificate required`, `…sslv3 alert bad certificate`).
    static func isTLSAlert(_ message: String) -> Bool {
        message.contains(" alert ")
    }

    /// Says in plain words which side of the TLS check failed, followed by curl's own text.
    ///
    /// | cause | explanation |
    /// |---|---|
    /// | CURLE_PEER_FAILED_VERIFICATION (chain, expiry, host name) | server certificate verification failed |
    /// | CURLE_SSL_PINNEDPUBKEYNOTMATCH | server public key does not match the pinned key |
    /// | alert "certificate required" | the server requires a client certificate; none was sent |
    /// | any other alert naming a certificate or a CA, or "access denied" | the server refused the client certificate |
    /// | any other alert | the server ended the TLS handshake |
    /// | anything else | curl's text alone |
    static func explainTLSFailure(_ code: CURLcode, _ message: String) -> String {
        let explanation: String?
        switch code {
        case CURLE_PEER_FAILED_VERIFICATION:
            explanation = "server certificate verification failed"
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            explanation = "server public key does not match the pinned key"
        default:
            if !isTLSAlert(message) {
                explanation = nil
            } else if message.contains("alert certificate required") {
                explanation = "the server requires a client certificate; none was sent"
            } else if message.contains("certificate") || message.contains("unknown ca") || message.contains("access denied") {
                explanation = "the server refused the client certificate"
            } else {
                explanation = "the server ended the TLS handshake"
            }
        }
        guard let explanation else { return message }
        return message.isEmpty ? explanation : "\(explanation): \(message)"
    }
}
