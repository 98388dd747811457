/// Finds added tokens in text, leftmost first and the longest at one place, as the Aho-Corasick
/// automaton of Hugging Face `tokenizers` (leftmost-longest) does, and splits the text around them.
struct AddedTokenMatcher: Sendable {
    /// One piece of split text: plain text to tokenize, or a matched token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(id: Int)
    }

    private struct Pattern: Sendable {
        let scalars: [Unicode.Scalar]
        let token: AddedToken
    }

    /// Patterns by their first scalar, longest first.
    private let patternsByFirstScalar: [UInt32: [Pattern]]
    /// Which ASCII scalars start a pattern: most text is ASCII, and a table look-up per scalar
    /// is much cheaper than a hash.
    private let asciiStartsPattern: [Bool]

    /// A matcher for `tokens`, each matched by `pattern(token)` (its content, or its normalized form).
    init(tokens: [AddedToken], pattern: (AddedToken) -> [Unicode.Scalar]) {
        var byFirst = [UInt32: [Pattern]]()
        for token in tokens {
            let scalars = pattern(token)
            guard let first = scalars.first else { continue }
            byFirst[first.value, default: []].append(Pattern(scalars: scalars, token: token))
        }
        patternsByFirstScalar = byFirst.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
        asciiStartsPattern = (0..<128).map { byFirst[UInt32($0)] != nil }
    }

    /// Whether there is nothing to match.
    var isEmpty: Bool { patternsByFirstScalar.isEmpty }

    /// Calls `body` with each piece of `scalars`, text or token, in order, until it returns false.
    /// Scans only as far as the pieces it hands out, so a caller that stops early (truncation)
    /// does not pay for the rest of a long text.
    func forEachSegment(of scalars: ArraySlice<Unicode.Scalar>, _ body: (Segment) -> Bool) {
        guard !isEmpty else {
            if !scalars.isEmpty { _ = body(.text(scalars.indices)) }
            return
        }
        var textStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let value = scalars[index].value
            if value < 128, !asciiStartsPattern[Int(value)] {
                index += 1
                continue
            }
            guard let candidates = patternsByFirstScalar[value],
                  let pattern = candidates.first(where: { matches($0, in: scalars, at: index) }) else {
                index += 1
                continue
            }
            var start = index
            var end = index + pattern.scalars.count
            if pattern.token.singleWord {
                let wordBefore = start > scalars.startIndex && BertCharacterClasses.isWordCharacter(scalars[start - 1])
                let wordAfter = end < scalars.endIndex && BertCharacterClasses.isWordCharacter(scalars[end])
                if wordBefore || wordAfter {
                    // Not a match here; the automaton goes on looking after the discarded match.
                    index = end
                    continue
                }
            }
            if pattern.token.leftStrip {
                while start > textStart, BertCharacterClasses.isWhitespace(scalars[start - 1]) { start -= 1 }
            }
            if pattern.token.rightStrip {
                while end < scalars.endIndex, BertCharacterClasses.isWhitespace(scalars[end]) { end += 1 }
            }
            if textStart < start, !body(.text(textStart..<start)) { return }
            guard body(.token(id: pattern.token.id)) else { return }
            textStart = end
            index = end
        }
        if textStart < scalars.endIndex { _ = body(.text(textStart..<scalars.endIndex)) }
    }

    private func matches(_ pattern: Pattern, in scalars: ArraySlice<Unicode.Scalar>, at index: Int) -> Bool {
        guard scalars.endIndex - index >= pattern.scalars.count else { return false }
        for (offset, scalar) in pattern.scalars.enumerated() where scalars[index + offset] != scalar { return false }
        return true
    }
}
