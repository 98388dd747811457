public import Foundation

extension WordPieceTokenizer {
    /// Loads the tokenizer of a Hugging Face model folder.
    ///
    /// Reads `tokenizer.json` when the folder has one: its `BertNormalizer`, `BertPreTokenizer`,
    /// `WordPiece` model, `added_tokens` and `TemplateProcessing` (or `BertProcessing`) post-processor.
    /// Otherwise it reads `vocab.txt` with BERT's defaults, taking `do_lower_case`,
    /// `tokenize_chinese_chars`, `strip_accents` and the special tokens' names from
    /// `tokenizer_config.json` when present. The maximum length is, first found: `maxLength`,
    /// sentence-transformers' `sentence_bert_config.json` `max_seq_length` (which is what
    /// sentence-transformers truncates at: 256 for all-MiniLM-L6-v2, where `tokenizer.json` says
    /// 128), `tokenizer.json`'s `truncation.max_length`; else no limit.
    ///
    /// - Throws: `TokenizerError`: a file missing or malformed, a component kind this library does
    ///   not implement (`unsupportedComponent`, naming it), a token missing from the vocabulary.
    public init(contentsOf directory: URL, maxLength: Int? = nil) throws {
        let sentenceBertLength = try Self.sentenceBertMaxLength(in: directory)
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: tokenizerJSON.path) {
            try self.init(tokenizerJSON: tokenizerJSON, maxLength: maxLength ?? sentenceBertLength)
        } else {
            try self.init(vocabularyFolder: directory, maxLength: maxLength ?? sentenceBertLength)
        }
    }

    /// The tokenizer a `tokenizer.json` describes; `maxLength`, when given, replaces its truncation length.
    ///
    /// - Throws: `TokenizerError`, as `init(contentsOf:maxLength:)`.
    public init(tokenizerJSON url: URL, maxLength: Int? = nil) throws {
        let file = try Self.decode(TokenizerFile.self, from: url)
        let name = url.lastPathComponent

        let normalizer: BertNormalizer?
        switch file.normalizer?.type {
        case nil:
            normalizer = nil
        case "BertNormalizer"?:
            let flags = file.normalizer
            normalizer = BertNormalizer(cleanText: flags?.cleanText ?? true, handleChineseCharacters: flags?.handleChineseChars ?? true,
                                        stripAccents: flags?.stripAccents, lowercase: flags?.lowercase ?? true)
        case let other?:
            throw TokenizerError.unsupportedComponent("\(name): normalizer \(other) (only BertNormalizer is implemented)")
        }
        guard file.preTokenizer?.type == "BertPreTokenizer" else {
            throw TokenizerError.unsupportedComponent("\(name): pre_tokenizer \(file.preTokenizer?.type ?? "null") (only BertPreTokenizer is implemented)")
        }
        guard file.model.type == "WordPiece" else {
            throw TokenizerError.unsupportedComponent("\(name): model \(file.model.type ?? "without a type") (only WordPiece is implemented)")
        }
        guard let vocabulary = file.model.vocab else { throw TokenizerError.malformedFile("\(name): model.vocab is missing") }
        try Self.checkDense(vocabulary, source: "\(name) model.vocab")
        let model = try WordPieceModel(
            vocabulary: vocabulary, unknownToken: file.model.unkToken ?? "[UNK]",
            continuingSubwordPrefix: file.model.continuingSubwordPrefix ?? "##",
            maxInputCharactersPerWord: file.model.maxInputCharsPerWord ?? 100)

        let addedTokens = (file.addedTokens ?? []).map { entry in
            AddedToken(content: entry.content, id: entry.id, special: entry.special ?? false, singleWord: entry.singleWord ?? false,
                       leftStrip: entry.lstrip ?? false, rightStrip: entry.rstrip ?? false, normalized: entry.normalized ?? !(entry.special ?? false))
        }
        let template = try Self.template(file.postProcessor, file: name)

        if let direction = file.truncation?.direction, direction != "Right" {
            throw TokenizerError.unsupportedComponent("\(name): truncation direction \(direction) (only Right is implemented)")
        }
        try self.init(model: model, normalizer: normalizer, addedTokens: addedTokens, template: template,
                      maxLength: maxLength ?? file.truncation?.maxLength)
    }

    /// A BERT tokenizer from `vocab.txt` (one piece per line, the line number its id) and, when
    /// present, `tokenizer_config.json`.
    private init(vocabularyFolder directory: URL, maxLength: Int?) throws {
        let url = directory.appendingPathComponent("vocab.txt")
        guard let data = try? Data(contentsOf: url) else {
            throw TokenizerError.fileUnreadable("\(directory.path) has neither tokenizer.json nor a readable vocab.txt")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TokenizerError.malformedFile("vocab.txt is not UTF-8") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        // Like `tokenizers`' WordPiece::read_file: trailing whitespace trimmed, a repeated piece keeps its last line number.
        var vocabulary = [String: Int](minimumCapacity: lines.count)
        for (index, line) in lines.enumerated() {
            var scalars = Substring.UnicodeScalarView(line.unicodeScalars)
            while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
            vocabulary[String(scalars)] = index
        }

        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try Self.decode(BertTokenizerConfig.self, from: configURL) : nil
        let lowercase = config?.doLowerCase ?? true
        let normalizer = BertNormalizer(cleanText: true, handleChineseCharacters: config?.tokenizeChineseChars ?? true,
                                        stripAccents: config?.stripAccents, lowercase: lowercase)
        let unknown = config?.unkToken ?? "[UNK]"
        let model = try WordPieceModel(vocabulary: vocabulary, unknownToken: unknown)
        let specialNames = [config?.padToken ?? "[PAD]", unknown, config?.clsToken ?? "[CLS]", config?.sepToken ?? "[SEP]", config?.maskToken ?? "[MASK]"]
        let addedTokens = specialNames.compactMap { name in vocabulary[name].map { AddedToken(content: name, id: $0) } }
        guard let classifier = vocabulary[config?.clsToken ?? "[CLS]"], let separator = vocabulary[config?.sepToken ?? "[SEP]"] else {
            throw TokenizerError.missingToken("vocab.txt lacks the classifier or separator token")
        }
        try self.init(model: model, normalizer: normalizer, addedTokens: addedTokens,
                      template: .bert(classifierID: classifier, separatorID: separator), maxLength: maxLength)
    }

    /// `sentence_bert_config.json`'s `max_seq_length`, or nil when the folder has no such file.
    private static func sentenceBertMaxLength(in directory: URL) throws -> Int? {
        let url = directory.appendingPathComponent("sentence_bert_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try decode(SentenceBertConfig.self, from: url).maxSeqLength
    }

    private static func template(_ processor: TokenizerFile.PostProcessor?, file: String) throws -> EncodingTemplate {
        switch processor?.type {
        case nil:
            return try EncodingTemplate(items: [.sequence(typeID: 0)])
        case "TemplateProcessing"?:
            guard let single = processor?.single else { throw TokenizerError.malformedFile("\(file): post_processor.single is missing") }
            let items: [EncodingTemplate.Item] = try single.map { piece in
                switch piece {
                case .sequence(let name, let typeID):
                    guard name == "A" || name == "a" || name.isEmpty else {
                        throw TokenizerError.unsupportedComponent("\(file): the single template uses sequence \(name)")
                    }
                    return .sequence(typeID: typeID)
                case .specialToken(let name, let typeID):
                    guard let ids = processor?.specialTokens?[name]?.ids else {
                        throw TokenizerError.missingToken("\(file): the template's special token \(name) is not in post_processor.special_tokens")
                    }
                    return .special(ids: ids, typeID: typeID)
                }
            }
            return try EncodingTemplate(items: items)
        case "BertProcessing"?:
            guard let cls = processor?.cls, let sep = processor?.sep else {
                throw TokenizerError.malformedFile("\(file): BertProcessing needs cls and sep")
            }
            return .bert(classifierID: cls.id, separatorID: sep.id)
        case let other?:
            throw TokenizerError.unsupportedComponent("\(file): post_processor \(other) (TemplateProcessing and BertProcessing are implemented)")
        }
    }

    /// Refuses a vocabulary whose ids are not exactly 0..<count. Besides real gaps this catches two
    /// pieces that differ in bytes but are canonically equivalent: Swift's `String` keys would merge
    /// them (and lose an id), where `tokenizers` keeps both.
    private static func checkDense(_ vocabulary: [String: Int], source: String) throws {
        var seen = [Bool](repeating: false, count: vocabulary.count)
        for (piece, id) in vocabulary {
            guard id >= 0, id < seen.count, !seen[id] else {
                throw TokenizerError.invalidVocabulary("\(source): the ids are not 0..<\(vocabulary.count) (at \(piece) = \(id)); gaps, repeated ids or canonically equivalent pieces are not supported")
            }
            seen[id] = true
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError.fileUnreadable("cannot read \(url.path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.malformedFile("\(url.lastPathComponent): \(Self.describe(error))")
        } catch {
            throw TokenizerError.malformedFile("\(url.lastPathComponent): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        let path: ([any CodingKey]) -> String = { $0.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? context.debugDescription : "\(at): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// `sentence_bert_config.json`.
private struct SentenceBertConfig: Decodable {
    let maxSeqLength: Int?
    private enum CodingKeys: String, CodingKey {
        case maxSeqLength = "max_seq_length"
    }
}

/// The keys of `tokenizer_config.json` a `vocab.txt` tokenizer takes from it.
private struct BertTokenizerConfig: Decodable {
    let doLowerCase: Bool?
    let tokenizeChineseChars: Bool?
    let stripAccents: Bool?
    private let unk: TokenName?
    private let sep: TokenName?
    private let pad: TokenName?
    private let cls: TokenName?
    private let mask: TokenName?
    var unkToken: String? { unk?.content }
    var sepToken: String? { sep?.content }
    var padToken: String? { pad?.content }
    var clsToken: String? { cls?.content }
    var maskToken: String? { mask?.content }

    /// A token named by its text, or by an object with its `content` (newer `transformers`).
    private struct TokenName: Decodable {
        let content: String
        private enum CodingKeys: String, CodingKey {
            case content
        }

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                content = text
            } else {
                content = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .content)
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case doLowerCase = "do_lower_case", tokenizeChineseChars = "tokenize_chinese_chars", stripAccents = "strip_accents"
        case unk = "unk_token", sep = "sep_token", pad = "pad_token", cls = "cls_token", mask = "mask_token"
    }
}
