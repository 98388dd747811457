import EISCore
import Testing

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("two generators produce different streams")
    func independentGeneratorsDiffer() {
        var a = SecureRandom(), b = SecureRandom()
        let streamA = (0..<8).map { _ in a.next() }, streamB = (0..<8).map { _ in b.next() }
        #expect(streamA != streamB)
        #expect(Set(streamA).isDisjoint(with: streamB))
    }

    @Test("copies taken before first use draw independent streams")
    func unusedCopiesAreIndependent() {
        let prototype = SecureRandom()
        var a = prototype, b = prototype
        #expect((0..<8).map { _ in a.next() } != (0..<8).map { _ in b.next() })
    }

    @Test("100 000 draws (across many buffer refills) contain no repeated word")
    func noRepeatedWords() {
        var generator = SecureRandom()
        var seen = Set<UInt64>()
        seen.reserveCapacity(100_000)
        for _ in 0..<100_000 { seen.insert(generator.next()) }
        // A collision among 10^5 uniform 64-bit words has probability ≈ 2.7·10^-10.
        #expect(seen.count == 100_000)
    }

    @Test("every bit is used: OR of draws is all ones, AND is zero")
    func everyBitIsUsed() {
        var generator = SecureRandom()
        var orAll: UInt64 = 0, andAll: UInt64 = .max
        for _ in 0..<1000 {
            let word = generator.next()
            orAll |= word
            andAll &= word
        }
        #expect(orAll == .max)
        #expect(andAll == 0)
    }

    @Test("each bit position is set about half the time")
    func bitsAreBalanced() {
        var generator = SecureRandom()
        let draws = 65_536
        var counts = [Int](repeating: 0, count: 64)
        for _ in 0..<draws {
            var word = generator.next()
            while word != 0 {
                counts[word.trailingZeroBitCount] += 1
                word &= word - 1
            }
        }
        // σ = √(n/4) = 128; allow 6σ.
        for (bit, count) in counts.enumerated() {
            #expect(abs(count - draws / 2) < 6 * 128, "bit \(bit) set \(count) times of \(draws)")
        }
    }

    @Test("it works as a standard-library RandomNumberGenerator")
    func drivesStandardLibraryRandomAPIs() {
        var generator = SecureRandom()
        let values = (0..<1000).map { _ in Int.random(in: 0..<10, using: &generator) }
        #expect(Set(values) == Set(0..<10))
    }

    @Test("copies of a used generator do not replay each other's words")
    func copiesOfAUsedGeneratorDiverge() {
        // Were the buffer a value, a copy would replay the unread words: two sharings drawn from
        // the copies would reuse masks, and their difference would reveal x − x′.
        var original = SecureRandom()
        _ = original.next()
        var copy = original
        for _ in 0..<1024 { #expect(original.next() != copy.next()) }
    }

    @Test("bulk fills across refills share the word stream with next() and never repeat a word")
    func bulkFillsContinueTheStream() {
        var generator = SecureRandom()
        var seen = Set<UInt64>()
        var drawn = 0
        // Sizes chosen to straddle the 512-word buffer, mixed with single draws.
        for size in [1, 7, 511, 512, 513, 1000, 3] {
            var words = [UInt64](repeating: 0, count: size)
            words.withUnsafeMutableBufferPointer { generator.fill($0) }
            seen.formUnion(words)
            seen.insert(generator.next())
            drawn += size + 1
        }
        #expect(seen.count == drawn)
        var empty = [UInt64]()
        empty.withUnsafeMutableBufferPointer { generator.fill($0) }
    }
}
