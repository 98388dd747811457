import EISCore
import EISModels
import EISTestSupport
import Foundation
import Testing

@Suite("Self-attention")
struct SelfAttentionTests {
    /// softmax(QKᵀ/√d)·V per head with plain loops over the real tokens only.
    private func naiveAttention(_ qkv: [Double], tokens: Int, hidden: Int, heads: Int) -> [Double] {
        let d = hidden / heads
        var out = [Double](repeating: 0, count: tokens * hidden)
        for h in 0..<heads {
            for i in 0..<tokens {
                var scores = [Double](repeating: 0, count: tokens)
                for j in 0..<tokens {
                    var dot = 0.0
                    for c in 0..<d { dot += qkv[i * 3 * hidden + h * d + c] * qkv[j * 3 * hidden + hidden + h * d + c] }
                    scores[j] = dot / Double(d).squareRoot()
                }
                let m = scores.max() ?? 0
                let e = scores.map { exp($0 - m) }
                let total = e.reduce(0, +)
                for c in 0..<d {
                    var sum = 0.0
                    for j in 0..<tokens { sum += e[j] / total * qkv[j * 3 * hidden + 2 * hidden + h * d + c] }
                    out[i * hidden + h * d + c] = sum
                }
            }
        }
        return out
    }

    private func randomValues(_ count: Int, _ rng: inout SplitMix64) -> [Double] {
        (0..<count).map { _ in Double.random(in: -2...2, using: &rng) }
    }

    @Test("attention equals the textbook formula on an unpadded sequence")
    func attentionMatchesNaiveReference() throws {
        var rng = SplitMix64(seed: 7)
        let tokens = 5, hidden = 12, heads = 3
        let qkv = randomValues(tokens * 3 * hidden, &rng)
        let batch = try TokenBatch(sequences: [Array(0..<tokens)], length: tokens)
        let y = SelfAttention.attend(Matrix(rows: tokens, columns: 3 * hidden, elements: qkv), heads: heads, layout: batch)
        let expected = naiveAttention(qkv, tokens: tokens, hidden: hidden, heads: heads)
        for i in 0..<expected.count { #expect(abs(y.elements[i] - expected[i]) <= 1e-13) }
    }

    @Test("masked attention on a padded batch equals attention on each unpadded sequence, whatever the padding holds")
    func maskedAttentionIgnoresPadding() throws {
        var rng = SplitMix64(seed: 11)
        let hidden = 8, heads = 2, length = 16, lengths = [5, 16, 1]
        let padded = randomValues(lengths.count * length * 3 * hidden, &rng).map { $0 * 50 }  // loud padding
        let batch = try TokenBatch(sequences: lengths.map { Array(repeating: 1, count: $0) }, length: length)
        let y = SelfAttention.attend(Matrix(rows: lengths.count * length, columns: 3 * hidden, elements: padded), heads: heads, layout: batch)
        for (s, n) in lengths.enumerated() {
            let rows = Array(padded[(s * length * 3 * hidden)..<((s * length + n) * 3 * hidden)])
            let alone = SelfAttention.attend(Matrix(rows: n, columns: 3 * hidden, elements: rows), heads: heads,
                                             layout: try TokenBatch(sequences: [Array(repeating: 1, count: n)], length: n))
            for i in 0..<(n * hidden) {
                #expect(abs(y.elements[s * length * hidden + i] - alone.elements[i]) <= 1e-12, "sequence \(s), element \(i)")
            }
        }
    }
}
