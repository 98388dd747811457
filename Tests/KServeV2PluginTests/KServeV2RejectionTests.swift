import CurlTransport
import EISBackend
@testable import KServeV2Plugin
import Testing

struct KServeV2RejectionTests {
    @Test func quotesKServeAndMLServerBodies() {
        let kserve = HTTPClientResponse(status: 404, body: Array(#"{"error":"Model with name nope does not exist."}"#.utf8))
        #expect(KServeV2Rejection.error(kserve, backend: "b", during: "infer").message == "b: infer: HTTP 404: Model with name nope does not exist.")
        let mlserver = HTTPClientResponse(status: 422, body: Array(#"{"detail":[{"loc":["body","inputs",0],"msg":"Field required","input":{"a":1}}]}"#.utf8))
        #expect(KServeV2Rejection.error(mlserver, backend: "b", during: "infer").message == "b: infer: HTTP 422: body.inputs.0: Field required")
        let plain = HTTPClientResponse(status: 500, body: Array("Internal Server Error".utf8))
        #expect(KServeV2Rejection.error(plain, backend: "b", during: "infer").message == "b: infer: HTTP 500")
    }

    @Test func longNumbersAreElidedAndLongMessagesCut() {
        let echo = HTTPClientResponse(status: 400, body: Array(#"{"error":"element -9223372036854775808 at 3, value 0.123456 or 1e-05, port 8080\nFAKE"}"#.utf8))
        #expect(KServeV2Rejection.error(echo, backend: "b", during: "infer").message ==
                "b: infer: HTTP 400: element # at 3, value # or 1e-05, port 8080 FAKE")
        let long = HTTPClientResponse(status: 400, body: Array("{\"error\":\"\(String(repeating: "x", count: 500))\"}".utf8))
        let message = KServeV2Rejection.error(long, backend: "b", during: "infer").message
        #expect(message.hasSuffix("…") && message.count < 260)
    }
}
