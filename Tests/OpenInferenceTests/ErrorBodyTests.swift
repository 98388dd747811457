import OpenInference
import Testing

struct ErrorBodyTests {
    @Test func readsKServeAndTritonErrors() {
        #expect(ErrorBody(decoding: bytes(#"{"error":"Model with name nope does not exist."}"#))?.message == "Model with name nope does not exist.")
        #expect(ErrorBody(decoding: ErrorBody(message: "a \"quoted\" message").encoded())?.message == "a \"quoted\" message")
    }

    /// FastAPI validation errors: `msg` and `loc` are kept, the echoed `input` is not.
    @Test func readsMLServerDetailWithoutTheEchoedInput() {
        let body = bytes(#"{"detail":[{"type":"list_type","loc":["body","inputs",0,"data"],"msg":"Input should be a valid list","input":"123456789"}]}"#)
        let message = ErrorBody(decoding: body)?.message
        #expect(message == "body.inputs.0.data: Input should be a valid list")
        #expect(ErrorBody(decoding: bytes(#"{"detail":"Not Found"}"#))?.message == "Not Found")
    }

    @Test func otherBodiesAreNotErrors() {
        #expect(ErrorBody(decoding: bytes("Internal Server Error")) == nil)
        #expect(ErrorBody(decoding: bytes(#"{"message":"x"}"#)) == nil)
        #expect(ErrorBody(decoding: []) == nil)
    }

    @Test func readinessAcceptsBothBodies() {
        #expect(ReadinessBody(decoding: bytes(#"{"ready":true}"#))?.ready == true)
        #expect(ReadinessBody(decoding: bytes(#"{"live":false}"#))?.ready == false)
        #expect(ReadinessBody(decoding: []) == nil)
        #expect(ReadinessBody(decoding: ReadinessBody(ready: true).encoded())?.ready == true)
    }
}
