import EISCore
import Testing
import EISTestSupport

@Suite("FixedPointCodec")
struct FixedPointCodecTests {
    /// The extremes 0 and 62, the defaults' neighbourhood, and values in between.
    static let fractionBitChoices = [0, 1, 8, 16, 24, 32, 48, 61, 62]

    @Test("scale and limit are 2^fx and 2^(63−fx)", arguments: fractionBitChoices)
    func scaleAndLimitArePowersOfTwo(fractionBits: Int) {
        let codec = FixedPointCodec(fractionBits: fractionBits)
        #expect(codec.fractionBits == fractionBits)
        #expect(codec.scale == powerOfTwo(fractionBits))
        #expect(codec.limit == powerOfTwo(63 - fractionBits))
    }

    @Test("decode(encode(x)) is within half a resolution step", arguments: fractionBitChoices)
    func roundTripErrorIsAtMostHalfAStep(fractionBits: Int) throws {
        let codec = FixedPointCodec(fractionBits: fractionBits)
        var generator = SplitMix64(seed: 0xF1 &+ UInt64(fractionBits))
        let bound = powerOfTwo(-(fractionBits + 1))
        // Magnitudes from far below the resolution up to just under the limit.
        let values = randomDoubles(count: 4000, minExponent: -fractionBits - 8, maxExponent: 63 - fractionBits,
                                   using: &generator)
        var worst = (x: 0.0, error: 0.0)
        for x in values {
            let error = abs(codec.decode(try codec.encode(x)) - x)
            if error > worst.error { worst = (x, error) }
        }
        #expect(worst.error <= bound, "x = \(worst.x): error \(worst.error) > \(bound)")
        #expect(worst.error > 0) // the inputs did exercise rounding
    }

    @Test("values that are multiples of the resolution encode and decode exactly")
    func representableValuesAreExact() throws {
        let codec = FixedPointCodec(fractionBits: 16)
        #expect(try codec.encode(1.0) == 65_536)
        #expect(try codec.encode(-0.5) == -32_768)
        #expect(try codec.encode(0x1p-16) == 1)
        #expect(try codec.encode(-0x1p-16) == -1)
        #expect(try codec.encode(0.0) == 0)
        #expect(try codec.encode(-0.0) == 0)
        #expect(try codec.encode(1234.75) == 1234 * 65_536 + 49_152)
        #expect(codec.decode(65_536) == 1.0)
        #expect(codec.decode(-98_304) == -1.5)
        var generator = SplitMix64(seed: 7)
        let elements = (0..<1000).map { _ in Int64.random(in: -(1 << 46)...(1 << 46), using: &generator) }
        let values = elements.map { Double($0) / 65_536 } // exact: |element| < 2^53
        #expect(try codec.encode(values) == elements)
        #expect(elements.map(codec.decode) == values)
    }

    @Test("halfway cases round to the even neighbour")
    func tiesRoundToEven() throws {
        let codec = FixedPointCodec(fractionBits: 16)
        #expect(try codec.encode(0.5 * 0x1p-16) == 0)
        #expect(try codec.encode(1.5 * 0x1p-16) == 2)
        #expect(try codec.encode(2.5 * 0x1p-16) == 2)
        #expect(try codec.encode(-1.5 * 0x1p-16) == -2)
        let integers = FixedPointCodec(fractionBits: 0)
        #expect(try integers.encode(2.5) == 2)
        #expect(try integers.encode(3.5) == 4)
        #expect(try integers.encode(-3.7) == -4)
        #expect(try integers.encode(2.49) == 2)
    }

    @Test("NaN and infinities are refused as not finite", arguments: [Double.nan, .signalingNaN, .infinity, -.infinity])
    func nonFiniteValuesThrowNotFinite(value: Double) {
        for fractionBits in [0, 16, 62] {
            #expect(throws: FixedPointError.notFinite) { try FixedPointCodec(fractionBits: fractionBits).encode(value) }
        }
    }

    @Test("±limit and beyond are out of range; the largest values below encode", arguments: fractionBitChoices)
    func limitAndBeyondAreOutOfRangeJustBelowEncodes(fractionBits: Int) throws {
        let codec = FixedPointCodec(fractionBits: fractionBits)
        let limit = powerOfTwo(63 - fractionBits)
        for value in [limit, -limit, limit.nextUp, -limit.nextUp, limit * 2, -limit * 1.5,
                      0x1p300, -0x1p300, .greatestFiniteMagnitude, -.greatestFiniteMagnitude] {
            #expect(throws: FixedPointError.outOfRange(value: value, limit: limit)) { try codec.encode(value) }
        }
        // The Double just below 2^63 is 2^63 − 2^10, whatever the scale.
        #expect(try codec.encode(limit.nextDown) == Int64.max - 1023)
        #expect(try codec.encode(-limit.nextDown) == Int64.min + 1024)
    }

    @Test("Int64.max and Int64.min decode to ±2^(63−fx)", arguments: fractionBitChoices)
    func extremeElementsDecodeToTheLimit(fractionBits: Int) {
        let codec = FixedPointCodec(fractionBits: fractionBits)
        #expect(codec.decode(Int64.min) == -powerOfTwo(63 - fractionBits))
        // Int64.max = 2^63 − 1 is not a Double; it rounds to 2^63.
        #expect(codec.decode(Int64.max) == powerOfTwo(63 - fractionBits))
        #expect(codec.decode(Int64.max - 1023) == powerOfTwo(63 - fractionBits).nextDown)
        #expect(codec.decode(1) == powerOfTwo(-fractionBits))
        #expect(codec.decode(-1) == -powerOfTwo(-fractionBits))
    }

    @Test("fractionBits 0 is plain integer rounding")
    func zeroFractionBitsIsIntegerRounding() throws {
        let codec = FixedPointCodec(fractionBits: 0)
        #expect(codec.scale == 1)
        #expect(try codec.encode(42) == 42)
        #expect(try codec.encode(-42.4) == -42)
        #expect(try codec.encode(0x1p62) == 1 << 62)
        #expect(try codec.encode(-0x1p62) == -(1 << 62))
        #expect(codec.decode(-7) == -7)
    }

    @Test("fractionBits 62 keeps |x| < 2 at a 2^-62 resolution")
    func sixtyTwoFractionBitsCoverMagnitudesBelowTwo() throws {
        let codec = FixedPointCodec(fractionBits: 62)
        #expect(try codec.encode(1.0) == 1 << 62)
        #expect(try codec.encode(-1.0) == -(1 << 62))
        #expect(try codec.encode(0x1p-62) == 1)
        #expect(try codec.encode(1.5) == (1 << 62) + (1 << 61))
        #expect(codec.decode(1 << 61) == 0.5)
        #expect(throws: FixedPointError.outOfRange(value: 2, limit: 2)) { try codec.encode(2.0) }
        #expect(throws: FixedPointError.outOfRange(value: -2, limit: 2)) { try codec.encode(-2.0) }
    }

    @Test("encoding a vector maps every value and stops at the first bad one")
    func vectorEncodingStopsAtTheFirstBadValue() throws {
        let codec = FixedPointCodec(fractionBits: 8)
        #expect(try codec.encode([1.0, -2.0, 0.25]) == [256, -512, 64])
        #expect(try codec.encode([Double]()) == [])
        #expect(try codec.encode([1.0, -2.0][...]) == [256, -512])
        #expect(throws: FixedPointError.notFinite) { try codec.encode([1.0, .nan, 0x1p60]) }
        #expect(throws: FixedPointError.outOfRange(value: 0x1p60, limit: 0x1p55)) { try codec.encode([1.0, 0x1p60, .nan]) }
    }

    @Test("errors describe themselves without hiding the limit")
    func errorsDescribeTheValueAndTheLimit() {
        #expect(FixedPointError.notFinite.description.contains("not a finite"))
        let text = FixedPointError.outOfRange(value: 3, limit: 2).description
        #expect(text.contains("3.0") && text.contains("2.0"))
    }

    @Test("fractionBits outside 0...62 is a precondition failure")
    func invalidFractionBitsTrap() async {
        await #expect(processExitsWith: .failure) { _ = FixedPointCodec(fractionBits: 63) }
        await #expect(processExitsWith: .failure) { _ = FixedPointCodec(fractionBits: -1) }
    }

    @Test("the default fx + fw leaves an output headroom of at least 2^15")
    func defaultsLeaveHeadroom() {
        let (fx, fw) = (Defaults.inputFractionBits, Defaults.weightFractionBits)
        #expect(fx > 0 && fw > 0)
        #expect(63 - fx - fw >= 15)
        // The product's codec must exist: fx + fw ≤ 62.
        #expect(FixedPointCodec(fractionBits: fx + fw).limit >= 0x1p15)
    }
}
