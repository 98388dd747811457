/// The parts of a Hugging Face `tokenizer.json` a BERT WordPiece tokenizer needs, as JSON.
///
/// Only what this library implements is decoded; `WordPieceTokenizer+Loading` refuses component
/// kinds it does not implement by their `type`.
struct TokenizerFile: Decodable {
    /// `truncation`.
    struct Truncation: Decodable {
        let maxLength: Int?
        let direction: String?
        private enum CodingKeys: String, CodingKey {
            case maxLength = "max_length", direction
        }
    }

    /// One of `added_tokens`.
    struct AddedTokenEntry: Decodable {
        let id: Int
        let content: String
        let singleWord: Bool?
        let lstrip: Bool?
        let rstrip: Bool?
        let normalized: Bool?
        let special: Bool?
        private enum CodingKeys: String, CodingKey {
            case id, content, singleWord = "single_word", lstrip, rstrip, normalized, special
        }
    }

    /// `normalizer` or `pre_tokenizer`: a `type` and, for `BertNormalizer`, its flags.
    struct Component: Decodable {
        let type: String?
        let cleanText: Bool?
        let handleChineseChars: Bool?
        let stripAccents: Bool?
        let lowercase: Bool?
        private enum CodingKeys: String, CodingKey {
            case type, cleanText = "clean_text", handleChineseChars = "handle_chinese_chars", stripAccents = "strip_accents", lowercase
        }
    }

    /// `model`.
    struct Model: Decodable {
        let type: String?
        let unkToken: String?
        let continuingSubwordPrefix: String?
        let maxInputCharsPerWord: Int?
        let vocab: [String: Int]?
        private enum CodingKeys: String, CodingKey {
            case type, unkToken = "unk_token", continuingSubwordPrefix = "continuing_subword_prefix"
            case maxInputCharsPerWord = "max_input_chars_per_word", vocab
        }
    }

    /// One item of a `TemplateProcessing` template: `{"SpecialToken": {"id": "[CLS]", "type_id": 0}}`
    /// or `{"Sequence": {"id": "A", "type_id": 0}}`.
    enum TemplatePiece: Decodable {
        case specialToken(name: String, typeID: Int)
        case sequence(name: String, typeID: Int)

        private struct Body: Decodable {
            let id: String
            let typeID: Int
            private enum CodingKeys: String, CodingKey {
                case id, typeID = "type_id"
            }
        }

        private enum CodingKeys: String, CodingKey {
            case specialToken = "SpecialToken", sequence = "Sequence"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let body = try container.decodeIfPresent(Body.self, forKey: .specialToken) {
                self = .specialToken(name: body.id, typeID: body.typeID)
            } else if let body = try container.decodeIfPresent(Body.self, forKey: .sequence) {
                self = .sequence(name: body.id, typeID: body.typeID)
            } else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a template item must be SpecialToken or Sequence"))
            }
        }
    }

    /// One of `TemplateProcessing`'s `special_tokens`.
    struct SpecialTokenEntry: Decodable {
        let ids: [Int]
    }

    /// `BertProcessing`'s `["[SEP]", 102]`.
    struct NamedID: Decodable {
        let name: String
        let id: Int

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            name = try container.decode(String.self)
            id = try container.decode(Int.self)
        }
    }

    /// `post_processor`.
    struct PostProcessor: Decodable {
        let type: String?
        let single: [TemplatePiece]?
        let specialTokens: [String: SpecialTokenEntry]?
        let sep: NamedID?
        let cls: NamedID?
        private enum CodingKeys: String, CodingKey {
            case type, single, specialTokens = "special_tokens", sep, cls
        }
    }

    let truncation: Truncation?
    let addedTokens: [AddedTokenEntry]?
    let normalizer: Component?
    let preTokenizer: Component?
    let model: Model
    let postProcessor: PostProcessor?

    private enum CodingKeys: String, CodingKey {
        case truncation, addedTokens = "added_tokens", normalizer, preTokenizer = "pre_tokenizer", model, postProcessor = "post_processor"
    }
}
