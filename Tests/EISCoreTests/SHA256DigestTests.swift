import EISCore
import Testing
import EISTestSupport

/// SHA-256 of a string's UTF-8 bytes through the code under test.
func sha256Hex(_ text: String) -> String {
    Array(text.utf8).withUnsafeBytes { SHA256Digest.hex(of: $0) }
}

@Suite("SHA256Digest")
struct SHA256DigestTests {
    @Test("FIPS 180-2 test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func matchesFIPSTestVectors(input: String, digest: String) {
        #expect(sha256Hex(input) == digest)
    }

    @Test("one million 'a' (multi-block input)")
    func multiBlockInputMatchesTheMillionAVector() {
        #expect(sha256Hex(String(repeating: "a", count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("an empty buffer without a base address hashes as the empty string")
    func emptyBufferWithoutBaseAddressHashesAsEmpty() {
        #expect(SHA256Digest.hex(of: UnsafeRawBufferPointer(start: nil, count: 0))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("only the bytes of the buffer are hashed, even inside a larger one")
    func hashesExactlyTheGivenBytes() {
        let bytes = Array("xxabcyy".utf8)
        let digest = bytes.withUnsafeBytes { SHA256Digest.hex(of: UnsafeRawBufferPointer(rebasing: $0[2..<5])) }
        #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("output is 64 lower-case hex digits")
    func outputIsSixtyFourLowercaseHexDigits() {
        var generator = SplitMix64(seed: 10)
        let bytes = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = bytes.withUnsafeBytes { SHA256Digest.hex(of: $0) }
        #expect(digest.count == 64)
        #expect(digest.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(digest != sha256Hex(""))
    }
}
