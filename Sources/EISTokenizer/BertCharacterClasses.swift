/// The character classes of Hugging Face `tokenizers`' BERT normalizer and pre-tokenizer, seen
/// through the Unicode versions that library actually uses.
///
/// Swift's scalar properties follow the newest Unicode (17 with Swift 6.3), but `tokenizers`
/// 0.23 takes its general categories from the `unicode_categories` crate, whose tables are
/// Unicode 8.0, and its NFD from `unicode-normalization-alignments`, whose tables are Unicode 9.0.
/// To give the same ids we must see the text as it does: a scalar assigned after Unicode 8.0 has
/// no category to it (it is neither control, nor punctuation, nor a non-spacing mark), and one
/// assigned after Unicode 9.0 has no decomposition and combining class 0. Seven older scalars
/// changed category since Unicode 8.0; they keep their Unicode 8.0 category here. An exhaustive
/// test compares every scalar with the Python library.
enum BertCharacterClasses {
    /// The general category `tokenizers` sees for `scalar` (Unicode 8.0; later scalars unassigned).
    static func category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        switch scalar.value {
        // Category changes since Unicode 8.0: keep the category the crate's tables have.
        case 0x1885, 0x1886: return .otherLetter          // Mn since Unicode 9.0
        case 0x166D, 0x111C9: return .otherPunctuation    // So since 12.0; Mn since 11.0
        case 0x1734, 0x1171E: return .nonspacingMark      // Mc since 14.0 and 11.0
        case 0xA9BD: return .spacingMark                  // Mn since 12.0
        default: break
        }
        guard let age = scalar.properties.age, age.major <= 8 else { return .unassigned }
        return scalar.properties.generalCategory
    }

    /// Whether NFD in `tokenizers` knows `scalar` (assigned in Unicode 9.0 or before).
    static func isKnownToDecomposition(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x300 { return true }
        guard let age = scalar.properties.age else { return false }
        return age.major <= 9
    }

    /// Removed by text cleaning: the control, format, private-use and surrogate categories, except
    /// tab, newline and carriage return, which are whitespace. (Unassigned scalars are kept.)
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            if value == 0x09 || value == 0x0A || value == 0x0D { return false }
            return value < 0x20 || value == 0x7F
        }
        switch category(scalar) {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// Whitespace for text cleaning and pre-tokenizing: Unicode's White_Space property (which
    /// `tokenizers` takes from Rust's current standard library, so no version limit applies).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return value == 0x20 || (0x09...0x0D).contains(value)
        }
        return scalar.properties.isWhitespace
    }

    /// Punctuation for the BERT pre-tokenizer: every ASCII symbol and punctuation character (so
    /// `$`, `+`, `<`, `^`, `` ` ``, `|`, `~` too), and the Unicode punctuation categories P*.
    /// Other symbols (emoji, math, currency outside ASCII) are not punctuation.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
                || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
        }
        switch category(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// A non-spacing mark (Mn), which accent stripping removes after NFD.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x300 && category(scalar) == .nonspacingMark
    }

    /// The CJK Unified Ideographs blocks BERT surrounds with spaces. Hiragana, Katakana and Hangul
    /// are not among them: those scripts separate words with spaces.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// A "word" character in the sense of the regular expression `\w` that `tokenizers` uses for
    /// single-word added tokens: alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
