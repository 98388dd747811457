import EISCore
import Testing
import EISTestSupport

/// A request header written field by field from the documented layout (PROTOCOL: magic `EISQ`,
/// version u16, arithmetic u8, fraction bits u8, rows u32, columns u32, two u16 name lengths).
func requestHeader(magic: String = "EISQ", version: UInt16 = 1, arithmetic: UInt8 = 1, fractionBits: UInt8 = 16,
                   rows: UInt32, columns: UInt32, modelLength: UInt16 = 0, layerLength: UInt16 = 0) -> [UInt8] {
    Array(magic.utf8) + le(version) + [arithmetic, fractionBits] + le(rows) + le(columns) + le(modelLength) + le(layerLength)
}

/// A response header written field by field (magic `EISA`, version u16, arithmetic u8, zero, rows u32, columns u32).
func responseHeader(magic: String = "EISA", version: UInt16 = 1, arithmetic: UInt8 = 1, rows: UInt32, columns: UInt32) -> [UInt8] {
    Array(magic.utf8) + le(version) + [arithmetic, 0] + le(rows) + le(columns)
}

/// Decodes a request and returns the error's stable code, or records an issue if it decoded.
func requestErrorCode(_ bytes: [UInt8], limits: ShareLimits = ShareLimits(),
                      sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        _ = try ShareRequest(decoding: bytes, limits: limits)
        Issue.record("decoded a bad request", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.description.hasPrefix(error.code + ": "), sourceLocation: sourceLocation)
        return error.code
    }
}

/// Decodes a response and returns the error's stable code, or records an issue if it decoded.
func responseErrorCode(_ bytes: [UInt8], limits: ShareLimits = ShareLimits(),
                       sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    do {
        _ = try ShareResponse(decoding: bytes, limits: limits)
        Issue.record("decoded a bad response", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.description.hasPrefix(error.code + ": "), sourceLocation: sourceLocation)
        return error.code
    }
}

@Suite("Share protocol")
struct ShareProtocolTests {
    /// The stable error codes, spelled out here rather than read from the code under test.
    static let malformed = "malformed_message"
    static let badVersion = "unsupported_version"
    static let badArithmetic = "unsupported_arithmetic"
    static let tooLarge = "message_too_large"

    /// A request with random shares.
    static func sampleRequest(rows: Int = 3, columns: Int = 7, model: String = "mnist-mlp", layer: String = "fc1") -> ShareRequest {
        var generator = SplitMix64(seed: UInt64(rows * 1000 + columns))
        return ShareRequest(model: model, layer: layer, inputFractionBits: 16,
                            shares: Matrix(rows: rows, columns: columns, elements: randomWords(count: rows * columns, using: &generator)))
    }

    // MARK: Round trips and layout

    @Test("a request survives encode → decode", arguments: [(1, 1), (3, 7), (4, 256), (1, 1000)])
    func requestSurvivesEncodeThenDecode(shape: (Int, Int)) throws {
        let request = Self.sampleRequest(rows: shape.0, columns: shape.1)
        #expect(try ShareRequest(decoding: request.encoded()) == request)
        var named = request
        (named.model, named.layer, named.inputFractionBits) = ("modèle-ü 层", "", 62)
        named.shares.elements[0] = .min
        #expect(try ShareRequest(decoding: named.encoded()) == named)
    }

    @Test("a response survives encode → decode", arguments: [(1, 1), (3, 10), (64, 10)])
    func responseSurvivesEncodeThenDecode(shape: (Int, Int)) throws {
        var generator = SplitMix64(seed: 21)
        let response = ShareResponse(partials: Matrix(rows: shape.0, columns: shape.1,
                                                      elements: randomWords(count: shape.0 * shape.1, using: &generator)))
        #expect(try ShareResponse(decoding: response.encoded()) == response)
    }

    @Test("responseBytes is the encoded size, and nil when the size overflows")
    func responseBytesIsTheEncodedSize() {
        for (rows, columns) in [(1, 1), (3, 10), (64, 10)] {
            let response = ShareResponse(partials: Matrix(rows: rows, columns: columns, elements: [Int64](repeating: 0, count: rows * columns)))
            #expect(ShareProtocol.responseBytes(rows: rows, columns: columns) == response.encoded().count)
        }
        #expect(ShareProtocol.responseBytes(rows: Int.max / 4, columns: 2) == nil)
        #expect(ShareProtocol.responseBytes(rows: 1, columns: Int.max / 8) == nil)
        #expect(ShareProtocol.responseBytes(rows: -1, columns: 1) == nil)
    }

    @Test("the request bytes follow the documented little-endian layout")
    func requestBytesFollowTheDocumentedLayout() throws {
        let request = ShareRequest(model: "m", layer: "ab", inputFractionBits: 20,
                                   shares: Matrix(rows: 1, columns: 2, elements: [1, -2]))
        let expected = requestHeader(fractionBits: 20, rows: 1, columns: 2, modelLength: 1, layerLength: 2)
            + Array("mab".utf8) + littleEndianBytes(of: [1, -2])
        #expect(request.encoded() == expected)
        #expect(expected.count == 20 + 3 + 16)
        #expect(Array(expected[20 + 3 ..< 20 + 11]) == [1, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(expected[20 + 11 ..< 20 + 19]) == [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test("the response bytes follow the documented little-endian layout")
    func responseBytesFollowTheDocumentedLayout() {
        let response = ShareResponse(partials: Matrix(rows: 2, columns: 1, elements: [Int64.min, 258]))
        #expect(response.encoded() == responseHeader(rows: 2, columns: 1) + littleEndianBytes(of: [Int64.min, 258]))
    }

    @Test("decoding works from an unaligned buffer")
    func decodesFromUnalignedBuffers() throws {
        let request = Self.sampleRequest(rows: 2, columns: 9, model: "abc", layer: "d")
        let response = ShareResponse(partials: request.shares)
        let paddedRequest = [0xAA] + request.encoded(), paddedResponse = [0xAA, 0xBB, 0xCC] + response.encoded()
        let decodedRequest = paddedRequest.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try ShareRequest(decoding: UnsafeRawBufferPointer(rebasing: raw[1...])) }
        }
        let decodedResponse = paddedResponse.withUnsafeBytes { raw in
            Result { () throws(ProtocolError) in try ShareResponse(decoding: UnsafeRawBufferPointer(rebasing: raw[3...])) }
        }
        #expect(try decodedRequest.get() == request)
        #expect(try decodedResponse.get() == response)
    }

    @Test("constants: version 1, ring64 is arithmetic 1")
    func speaksVersionOneAndRing64() {
        #expect(ShareProtocol.version == 1)
        #expect(Arithmetic.ring64.rawValue == 1)
        #expect(Arithmetic(rawValue: 1) == .ring64)
        #expect(Arithmetic.ring64.description == "ring64")
        #expect(ShareProtocol.path.hasPrefix("/"))
    }

    // MARK: Every decode failure

    @Test("buffers shorter than the fixed header are malformed")
    func buffersShorterThanTheHeaderAreMalformed() {
        let request = Self.sampleRequest().encoded(), response = ShareResponse(partials: Self.sampleRequest().shares).encoded()
        for count in [0, 1, 4, 19] { #expect(requestErrorCode(Array(request.prefix(count))) == Self.malformed) }
        for count in [0, 3, 15] { #expect(responseErrorCode(Array(response.prefix(count))) == Self.malformed) }
    }

    @Test("bad magic is malformed, including a response sent as a request and vice versa")
    func badMagicIsMalformed() {
        let body = littleEndianBytes(of: [5])
        #expect(requestErrorCode(requestHeader(magic: "EISA", rows: 1, columns: 1) + body) == Self.malformed)
        #expect(requestErrorCode(requestHeader(magic: "eisq", rows: 1, columns: 1) + body) == Self.malformed)
        #expect(requestErrorCode(ShareResponse(partials: Matrix(rows: 1, columns: 1, elements: [5])).encoded()) == Self.malformed)
        #expect(responseErrorCode(responseHeader(magic: "EISQ", rows: 1, columns: 1) + body) == Self.malformed)
        #expect(responseErrorCode(responseHeader(magic: "\0\0\0\0", rows: 1, columns: 1) + body) == Self.malformed)
    }

    @Test("a version other than 1 is unsupported", arguments: [UInt16(0), 2, 256, .max])
    func otherVersionsAreUnsupported(version: UInt16) {
        let body = littleEndianBytes(of: [5])
        #expect(requestErrorCode(requestHeader(version: version, rows: 1, columns: 1) + body) == Self.badVersion)
        #expect(responseErrorCode(responseHeader(version: version, rows: 1, columns: 1) + body) == Self.badVersion)
    }

    @Test("a response whose reserved byte is not zero is malformed (a fuzzing find)")
    func nonzeroReservedResponseByteIsMalformed() {
        var bytes = responseHeader(rows: 1, columns: 1) + littleEndianBytes(of: [5])
        bytes[7] = 0x3A
        #expect(responseErrorCode(bytes) == Self.malformed)
    }

    @Test("an unknown arithmetic code is unsupported", arguments: [UInt8(0), 2, 255])
    func unknownArithmeticIsUnsupported(code: UInt8) {
        let body = littleEndianBytes(of: [5])
        #expect(requestErrorCode(requestHeader(arithmetic: code, rows: 1, columns: 1) + body) == Self.badArithmetic)
        #expect(responseErrorCode(responseHeader(arithmetic: code, rows: 1, columns: 1) + body) == Self.badArithmetic)
    }

    @Test("a length one byte short or one byte long is malformed")
    func lengthDisagreeingWithTheHeaderIsMalformed() {
        let request = Self.sampleRequest(rows: 2, columns: 5).encoded()
        #expect(requestErrorCode(Array(request.dropLast())) == Self.malformed)
        #expect(requestErrorCode(request + [0]) == Self.malformed)
        #expect(requestErrorCode(Array(request.dropLast(8))) == Self.malformed)
        let response = ShareResponse(partials: Matrix(rows: 2, columns: 5, repeating: 3)).encoded()
        #expect(responseErrorCode(Array(response.dropLast())) == Self.malformed)
        #expect(responseErrorCode(response + [0]) == Self.malformed)
        // Name lengths that point past the payload.
        #expect(requestErrorCode(requestHeader(rows: 1, columns: 1, modelLength: 9) + littleEndianBytes(of: [1])) == Self.malformed)
    }

    @Test("zero rows or zero columns are malformed")
    func zeroRowsOrColumnsAreMalformed() {
        for (rows, columns) in [(UInt32(0), UInt32(4)), (4, 0), (0, 0)] {
            #expect(requestErrorCode(requestHeader(rows: rows, columns: columns)) == Self.malformed)
            #expect(responseErrorCode(responseHeader(rows: rows, columns: columns)) == Self.malformed)
        }
        // An encodable empty request is still refused on the way in.
        let empty = ShareRequest(model: "m", layer: "l", inputFractionBits: 16, shares: Matrix(rows: 0, columns: 3, elements: []))
        #expect(requestErrorCode(empty.encoded()) == Self.malformed)
    }

    @Test("rows, columns and elements over the limits are too large; at the limits they pass")
    func dimensionsOverTheLimitsAreTooLarge() throws {
        let limits = ShareLimits(maxRows: 4, maxColumns: 8, maxElements: 16)
        /// A well-formed request and response of the given shape, so only the limits can refuse them.
        func both(_ rows: Int, _ columns: Int) -> (request: String?, response: String?) {
            let request = Self.sampleRequest(rows: rows, columns: columns).encoded()
            let response = ShareResponse(partials: Matrix(rows: rows, columns: columns, repeating: 1)).encoded()
            var codes: (String?, String?) = (nil, nil)
            do { _ = try ShareRequest(decoding: request, limits: limits) } catch { codes.0 = error.code }
            do { _ = try ShareResponse(decoding: response, limits: limits) } catch { codes.1 = error.code }
            return codes
        }
        for shape in [(5, 1), (1, 9), (4, 5), (3, 6)] {
            let codes = both(shape.0, shape.1)
            #expect(codes.request == Self.tooLarge, "\(shape)")
            #expect(codes.response == Self.tooLarge, "\(shape)")
        }
        for shape in [(4, 4), (2, 8), (4, 1), (1, 8)] {
            let codes = both(shape.0, shape.1)
            #expect(codes.request == nil && codes.response == nil, "\(shape)")
        }
    }

    @Test("a 20-byte header announcing 2^32−1 rows fails fast with the default limits")
    func hugeAnnouncedSizeFailsFast() {
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(requestErrorCode(requestHeader(rows: .max, columns: 1)) == Self.tooLarge)
            #expect(requestErrorCode(requestHeader(rows: .max, columns: .max)) == Self.tooLarge)
            #expect(requestErrorCode(requestHeader(rows: 1, columns: .max)) == Self.tooLarge)
            #expect(responseErrorCode(responseHeader(rows: .max, columns: .max)) == Self.tooLarge)
            // Within the limits but absent from the buffer: refused on length, before any allocation.
            #expect(requestErrorCode(requestHeader(rows: 8, columns: 1 << 20)) == Self.malformed)
            #expect(responseErrorCode(responseHeader(rows: 8, columns: 1 << 20)) == Self.malformed)
        }
        #expect(elapsed < .seconds(1))
    }

    @Test("with unlimited limits, rows × columns overflowing Int is too large, not a crash")
    func overflowingElementCountIsTooLarge() {
        let unlimited = ShareLimits(maxRows: .max, maxColumns: .max, maxElements: .max)
        #expect(requestErrorCode(requestHeader(rows: .max, columns: .max), limits: unlimited) == Self.tooLarge)
        #expect(responseErrorCode(responseHeader(rows: .max, columns: .max), limits: unlimited) == Self.tooLarge)
    }

    @Test("with large configured limits, a header whose byte size overflows Int is refused, not a crash")
    func overflowingByteCountIsRefused() {
        // rows × columns = (2^32 − 1)·2^30 < 2^63 passes the element check, but × 8 bytes overflows.
        let limits = ShareLimits(maxRows: .max, maxColumns: .max, maxElements: .max)
        let request = Array("EISQ".utf8) + [1, 0, 1, 16, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x40, 0, 0, 0, 0]
        #expect(requestErrorCode(request, limits: limits) == Self.tooLarge)
        let response = Array("EISA".utf8) + [1, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x40]
        #expect(responseErrorCode(response, limits: limits) == Self.tooLarge)
    }

    @Test("a model or layer name that is not UTF-8 is malformed")
    func namesThatAreNotUTF8AreMalformed() {
        let body = littleEndianBytes(of: [1])
        for (model, layer) in [([UInt8(0xFF), 0xFE], [UInt8(0x61)]), ([0x61], [0xC3]), ([0xED, 0xA0, 0x80], []), ([0xC0, 0xAF], [0x61])] {
            let bytes = requestHeader(rows: 1, columns: 1, modelLength: UInt16(model.count), layerLength: UInt16(layer.count))
                + model + layer + body
            #expect(requestErrorCode(bytes) == Self.malformed, "\(model) / \(layer)")
        }
        // The same bytes with valid names decode.
        let valid = requestHeader(rows: 1, columns: 1, modelLength: 2, layerLength: 1) + [0xC3, 0xA9, 0x61] + body
        #expect(requestErrorCodeIfAny(valid) == nil)
    }

    /// Decodes a request and returns the error code, or nil when it decodes.
    private func requestErrorCodeIfAny(_ bytes: [UInt8]) -> String? {
        do { _ = try ShareRequest(decoding: bytes); return nil } catch { return error.code }
    }

    @Test("the four error codes are stable strings")
    func errorCodesAreStableStrings() {
        #expect(ProtocolError.malformed("x").code == "malformed_message")
        #expect(ProtocolError.unsupportedVersion(9).code == "unsupported_version")
        #expect(ProtocolError.unsupportedArithmetic(9).code == "unsupported_arithmetic")
        #expect(ProtocolError.tooLarge("x").code == "message_too_large")
        #expect(ProtocolError.unsupportedVersion(9).message.contains("9"))
    }
}
