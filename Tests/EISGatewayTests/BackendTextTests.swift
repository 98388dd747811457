import EISBackend
import Testing

/// `BackendText.quote`, the one function every plugin quotes server text through (issue 12, item 4).
struct BackendTextTests {
    @Test func controlCharactersBecomeSpacesLongNumbersHashesAndLongTextIsCut() {
        #expect(BackendText.quote("bad\nERROR forged\r\u{1B}[31m\u{2028}x\u{200B}") == "bad ERROR forged  [31m x ")
        // A share's values go, in any notation and script; a status, a dimension or a port stays.
        #expect(BackendText.quote("share [-9223372036854775808, 1234567, 0.123456, 1.5e+300, ١٢٣٤٥] at row 3 of 256, port 8080, HTTP 422")
                == "share [#, #, #, #, #] at row 3 of 256, port 8080, HTTP 422")
        let long = BackendText.quote(String(repeating: "A", count: 500))
        #expect(long == String(repeating: "A", count: BackendText.limit) + "…")
        #expect(BackendText.quote(bytes: [0x66, 0xFF, 0x0A, 0x6F]) == "f\u{FFFD} o")
    }
}
