import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenInference
import Testing
@testable import EISGateway

/// The smaller items of issue 12 (item 8): INT64 inputs that Double cannot hold are refused,
/// loopback means canonical loopback only, and the Bearer scheme is case-insensitive.
struct SmallHardeningTests {
    @Test func anINT64InputThatIsNotExactInDoubleIsRefusedNotRounded() throws {
        let signature = V2Inference.Signature(inputName: "input", outputName: "output", inputs: 4, outputs: 1)
        for value in [Int64(1) << 53 + 1, Int64.max, Int64.min + 1] {
            let tensor = try Tensor(name: "input", shape: [4], data: .int64([0, value, 0, 0]))
            #expect {
                _ = try V2Inference(InferenceRequest(inputs: [tensor]), signature: signature, maxRows: 8)
            } throws: { ($0 as? GatewayError)?.code == "out_of_range" && "\($0)".contains("element 1") }
        }
        // 2^53 itself and everything below are exact, and pass.
        let exact = try Tensor(name: "input", shape: [4], data: .int64([1 << 53, -(1 << 53), 7, 0]))
        let request = try V2Inference(InferenceRequest(inputs: [exact]), signature: signature, maxRows: 8)
        #expect(request.rows == [[0x1p53, -0x1p53, 7, 0]])
    }

    @Test func onlyCanonicalLoopbackAddressesCountAsLoopback() {
        for url in ["http://127.0.0.1:9101", "http://127.255.0.9", "http://[::1]:9101", "http://LocalHost:1", "http://user@127.0.0.1/x"] {
            #expect(GatewayConfiguration.isLoopback(url: url), "\(url)")
        }
        for url in ["http://127.0.0.01:9101", "http://127.+0.0.1", "http://0127.0.0.1", "http://127.1", "http://127.0.0.256",
                    "http://0x7f.0.0.1", "http://127.0.0.1.nip.io", "http://127.0.0.1@evil.example", "http://128.0.0.1"] {
            #expect(!GatewayConfiguration.isLoopback(url: url), "\(url)")
        }
    }

    @Test func theBearerSchemeIsCaseInsensitiveButTheTokenIsNot() {
        let token = Array("0123456789abcdefXYZ".utf8)
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            #expect(BearerTokenCheck<BasicRequestContext>.matches("\(scheme) 0123456789abcdefXYZ", token: token), "\(scheme)")
        }
        #expect(!BearerTokenCheck<BasicRequestContext>.matches("Bearer 0123456789ABCDEFxyz", token: token))
        #expect(!BearerTokenCheck<BasicRequestContext>.matches("Basic 0123456789abcdefXYZ", token: token))
        #expect(!BearerTokenCheck<BasicRequestContext>.matches("Bearer0123456789abcdefXYZ", token: token))
    }
}
