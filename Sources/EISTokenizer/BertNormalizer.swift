import Foundation

/// The BERT normalizer of Hugging Face `tokenizers` (`"type": "BertNormalizer"`): text cleaning,
/// spaces around CJK ideographs, accent stripping and lower-casing, in that order.
///
/// It works on Unicode scalars, as `tokenizers` works on Rust `char`s, and sees Unicode through
/// the versions that library uses (`BertCharacterClasses`).
public struct BertNormalizer: Sendable, Equatable {
    /// Remove NUL, U+FFFD and control/format characters; turn every whitespace into a space.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs, so each becomes a word of its own.
    public var handleChineseCharacters: Bool
    /// Decompose (NFD) and drop non-spacing marks. `tokenizer.json`'s null means "as `lowercase`".
    public var stripAccents: Bool
    /// Lower-case every scalar with its full Unicode lower-case mapping.
    public var lowercase: Bool

    /// A normalizer with the given rules; the defaults are BERT uncased's.
    public init(cleanText: Bool = true, handleChineseCharacters: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseCharacters = handleChineseCharacters
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// The normalized form of `text`.
    public func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: normalize(Array(text.unicodeScalars)[...]))
        return String(scalars)
    }

    /// The normalized form of a run of scalars. Linear in its length.
    func normalize(_ input: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var scalars = [Unicode.Scalar]()
        scalars.reserveCapacity(input.count + 8)
        var allASCII = true
        for scalar in input {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || BertCharacterClasses.isControl(scalar) { continue }
                if BertCharacterClasses.isWhitespace(scalar) {
                    scalars.append(" ")
                    continue
                }
            }
            if !scalar.isASCII { allASCII = false }
            if handleChineseCharacters && BertCharacterClasses.isChineseCharacter(scalar) {
                scalars.append(" ")
                scalars.append(scalar)
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
        }
        if stripAccents && !allASCII {
            scalars = Self.decomposeCanonically(scalars).filter { !BertCharacterClasses.isNonspacingMark($0) }
        }
        if lowercase {
            scalars = allASCII ? scalars.map(Self.asciiLowercase) : scalars.flatMap(Self.lowercaseMapping)
        }
        return scalars
    }

    /// NFD as `tokenizers` computes it. Scalars assigned after Unicode 9.0 are unknown to its
    /// tables, so to it they are starters without a decomposition: the runs between them are
    /// decomposed (and reordered) each on its own, and they pass through unchanged.
    static func decomposeCanonically(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result = [Unicode.Scalar]()
        result.reserveCapacity(scalars.count + scalars.count / 4)
        var run = String.UnicodeScalarView()
        func flush() {
            guard !run.isEmpty else { return }
            result.append(contentsOf: String(run).decomposedStringWithCanonicalMapping.unicodeScalars)
            run = String.UnicodeScalarView()
        }
        for scalar in scalars {
            if BertCharacterClasses.isKnownToDecomposition(scalar) {
                run.append(scalar)
            } else {
                flush()
                result.append(scalar)
            }
        }
        flush()
        return result
    }

    private static func asciiLowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar
    }

    /// The full lower-case mapping (İ becomes i and a combining dot), scalar by scalar as Rust's
    /// `char::to_lowercase` does: no context-dependent rules such as the final sigma.
    private static func lowercaseMapping(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        if scalar.isASCII { return [asciiLowercase(scalar)] }
        guard scalar.properties.changesWhenLowercased else { return [scalar] }
        return Array(scalar.properties.lowercaseMapping.unicodeScalars)
    }
}
