import CCurl
@testable import CurlTransport
import Testing

/// How TLS failures are told apart from lost connections, and how they are explained.
struct TransportErrorTLSTests {
    @Test func receiveErrorCausedByATLSAlertIsATLSFailure() {
        let error = TransportError(
            curlCode: CURLE_RECV_ERROR,
            message: "OpenSSL SSL_read: OpenSSL/3.0.22: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0")
        #expect(error == .tlsFailure)
        #expect(error.curlCode == 56)
        #expect(error.message?.hasPrefix("the server requires a client certificate; none was sent: OpenSSL SSL_read:") == true)
    }

    @Test func receiveErrorWithoutAnAlertIsALostConnection() {
        let error = TransportError(curlCode: CURLE_RECV_ERROR, message: "OpenSSL SSL_read: Connection reset by peer, errno 104")
        #expect(error == .connectionLost)
        #expect(error.message == "OpenSSL SSL_read: Connection reset by peer, errno 104")
    }

    @Test func alertAboutTheClientCertificateSaysTheServerRefusedIt() {
        let error = TransportError(
            curlCode: CURLE_SSL_CONNECT_ERROR, message: "OpenSSL/3.0.22: error:0A000418:SSL routines::tlsv1 alert unknown ca")
        #expect(error == .tlsFailure)
        #expect(error.message?.hasPrefix("the server refused the client certificate: ") == true)
    }

    @Test func otherAlertsSayTheServerEndedTheHandshake() {
        let error = TransportError(
            curlCode: CURLE_SSL_CONNECT_ERROR, message: "OpenSSL/3.0.22: error:0A000410:SSL routines::sslv3 alert handshake failure")
        #expect(error.message?.hasPrefix("the server ended the TLS handshake: ") == true)
    }

    @Test func verificationAndPinFailuresNameTheServerSide() {
        let verification = TransportError(curlCode: CURLE_PEER_FAILED_VERIFICATION, message: "SSL certificate problem: certificate has expired")
        #expect(verification.message == "server certificate verification failed: SSL certificate problem: certificate has expired")
        let pin = TransportError(curlCode: CURLE_SSL_PINNEDPUBKEYNOTMATCH, message: "SSL: public key does not match pinned public key")
        #expect(pin.message == "server public key does not match the pinned key: SSL: public key does not match pinned public key")
    }

    @Test func otherTLSFailuresKeepCurlsText() {
        let error = TransportError(curlCode: CURLE_SSL_CACERT_BADFILE, message: "error setting certificate file: /nonexistent/ca.pem")
        #expect(error == .tlsFailure)
        #expect(error.message == "error setting certificate file: /nonexistent/ca.pem")
    }
}
