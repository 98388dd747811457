@testable import OpenInference
import Testing

/// The Eisel–Lemire table is what its comment says: recomputed here with exact integers.
struct DecimalNumberPowersOfTenTests {
    /// An unsigned integer of any size, little-endian 32-bit limbs: just enough arithmetic to
    /// recompute the table.
    struct Big: Comparable {
        var limbs: [UInt32]

        init(_ value: UInt64) { limbs = [UInt32(truncatingIfNeeded: value), UInt32(value >> 32)]; trim() }
        init(high: UInt64, low: UInt64) { limbs = Big(low).padded(2).limbs + Big(high).padded(2).limbs; trim() }
        private init(limbs: [UInt32]) { self.limbs = limbs; trim() }

        static func power(of two: Int) -> Big {
            var limbs = [UInt32](repeating: 0, count: two / 32 + 1)
            limbs[two / 32] = 1 << UInt32(two % 32)
            return Big(limbs: limbs)
        }

        private mutating func trim() { while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() } }
        private func padded(_ count: Int) -> Big { var copy = self; while copy.limbs.count < count { copy.limbs.append(0) }; return copy }

        var bitWidth: Int { limbs.count * 32 - limbs.last!.leadingZeroBitCount }

        static func * (left: Big, right: Big) -> Big {
            var result = [UInt64](repeating: 0, count: left.limbs.count + right.limbs.count + 1)
            for (i, a) in left.limbs.enumerated() {
                var carry: UInt64 = 0
                for (j, b) in right.limbs.enumerated() {
                    let sum = result[i + j] + UInt64(a) * UInt64(b) + carry
                    result[i + j] = sum & 0xFFFF_FFFF
                    carry = sum >> 32
                }
                result[i + right.limbs.count] += carry
            }
            return Big(limbs: result.map { UInt32($0) })
        }

        static func + (left: Big, right: Big) -> Big {
            var result = [UInt32]()
            var carry: UInt64 = 0
            for index in 0..<max(left.limbs.count, right.limbs.count) + 1 {
                let sum = UInt64(index < left.limbs.count ? left.limbs[index] : 0) + UInt64(index < right.limbs.count ? right.limbs[index] : 0) + carry
                result.append(UInt32(truncatingIfNeeded: sum))
                carry = sum >> 32
            }
            return Big(limbs: result)
        }

        /// The value shifted right (truncating) or left by `bits`.
        func shifted(by bits: Int) -> Big {
            if bits >= 0 { return self * Big.power(of: bits) }
            var result = self
            for _ in 0..<(-bits) {
                var carry: UInt32 = 0
                for index in stride(from: result.limbs.count - 1, through: 0, by: -1) {
                    let limb = result.limbs[index]
                    result.limbs[index] = limb >> 1 | carry << 31
                    carry = limb & 1
                }
            }
            result.trim()
            return result
        }

        static func < (left: Big, right: Big) -> Bool {
            if left.limbs.count != right.limbs.count { return left.limbs.count < right.limbs.count }
            for index in stride(from: left.limbs.count - 1, through: 0, by: -1) where left.limbs[index] != right.limbs[index] {
                return left.limbs[index] < right.limbs[index]
            }
            return false
        }
    }

    @Test func everyEntryIsTheTruncated128BitMantissaOfItsPowerOfTen() {
        let table = DecimalNumber.powersOfTen128
        #expect(table.count == 2 * (308 + 342 + 1))
        var power = Big(1)  // 10^q for q ≥ 0
        for q in 0...308 {
            let entry = Big(high: table[2 * (q + 342)], low: table[2 * (q + 342) + 1])
            #expect(entry == power.shifted(by: 128 - power.bitWidth), "1e\(q)")
            power = power * Big(10)
        }
        var divisor = Big(10)  // 10^−q for q < 0
        for q in stride(from: -1, through: -342, by: -1) {
            let entry = Big(high: table[2 * (q + 342)], low: table[2 * (q + 342) + 1])
            let numerator = Big.power(of: 127 + divisor.bitWidth)
            // entry = ⌊2^(127+b) / 10^−q⌋: entry · 10^−q ≤ 2^(127+b) < (entry + 1) · 10^−q.
            #expect(!(numerator < entry * divisor) && numerator < (entry + Big(1)) * divisor, "1e\(q)")
            #expect(entry.bitWidth == 128, "1e\(q)")
            divisor = divisor * Big(10)
        }
    }

    @Test func theBinaryExponentApproximationIsExactOverTheTable() {
        // ⌊q · log2 10⌋ as (217706 · q) >> 16, checked against the bit length of 10^|q|.
        var power = Big(1)
        for q in 0...342 {
            let exact = power.bitWidth - 1
            #expect((217_706 * q) >> 16 == exact, "1e\(q)")
            // 10^−q is not a power of two, so ⌊log2 10^−q⌋ = −(bit length of 10^q).
            if q > 0 { #expect((217_706 * -q) >> 16 == -(exact + 1), "1e-\(q)") }
            power = power * Big(10)
        }
    }
}
