public import Foundation

/// What sentence-transformers' files in a model folder add to the bare encoder: the pooling, the
/// normalisation and the truncation length.
///
/// Read from `modules.json` (the module list), the Pooling module's `config.json` and
/// `sentence_bert_config.json`. A folder without them is a bare Hugging Face BERT: mean pooling,
/// no normalisation, truncation at the model's position count.
public struct SentenceTransformersSettings: Sendable, Equatable {
    /// Whether the pooled vector is divided by its L2 norm (a `Normalize` module).
    public let normalize: Bool
    /// The longest token sequence (with `[CLS]` and `[SEP]`) the model is run on.
    public let maxSequenceLength: Int?

    /// The settings of a bare encoder: mean pooling, no normalisation, no truncation setting.
    public static let bare = SentenceTransformersSettings(normalize: false, maxSequenceLength: nil)

    private init(normalize: Bool, maxSequenceLength: Int?) {
        self.normalize = normalize
        self.maxSequenceLength = maxSequenceLength
    }

    private struct Module: Decodable {
        let path: String?
        let type: String
    }

    private struct Pooling: Decodable {
        // swiftlint:disable identifier_name
        let pooling_mode_mean_tokens: Bool?
        let pooling_mode_cls_token: Bool?
        let pooling_mode_max_tokens: Bool?
        let pooling_mode_mean_sqrt_len_tokens: Bool?
        // swiftlint:enable identifier_name
    }

    private struct SentenceBert: Decodable {
        // swiftlint:disable:next identifier_name
        let max_seq_length: Int?
    }

    /// Reads the settings of `folder`.
    ///
    /// - Throws: `ModelPlanError.invalidModel` for unreadable JSON, a module type EIS does not
    ///   run, or a pooling other than the mean over tokens.
    public init(folder: URL) throws(ModelPlanError) {
        var normalize = false
        let modulesURL = folder.appendingPathComponent("modules.json")
        if FileManager.default.fileExists(atPath: modulesURL.path) {
            let modules: [Module] = try Self.decode(modulesURL)
            for module in modules {
                switch module.type.split(separator: ".").last.map(String.init) ?? "" {
                case "Transformer":
                    continue
                case "Normalize":
                    normalize = true
                case "Pooling":
                    let poolingURL = folder.appendingPathComponent(module.path ?? "1_Pooling").appendingPathComponent("config.json")
                    let pooling: Pooling = try Self.decode(poolingURL)
                    guard pooling.pooling_mode_mean_tokens == true, pooling.pooling_mode_cls_token != true,
                          pooling.pooling_mode_max_tokens != true, pooling.pooling_mode_mean_sqrt_len_tokens != true else {
                        throw .invalidModel("\(poolingURL.path): only mean pooling over tokens is supported")
                    }
                default:
                    throw .invalidModel("\(modulesURL.path): module type '\(module.type)' is not supported (Transformer, Pooling, Normalize)")
                }
            }
        }
        var maxLength: Int?
        let sentenceBertURL = folder.appendingPathComponent("sentence_bert_config.json")
        if FileManager.default.fileExists(atPath: sentenceBertURL.path) {
            let settings: SentenceBert = try Self.decode(sentenceBertURL)
            if let length = settings.max_seq_length {
                guard length > 0 else { throw .invalidModel("\(sentenceBertURL.path): max_seq_length \(length) is not positive") }
                maxLength = length
            }
        }
        self.init(normalize: normalize, maxSequenceLength: maxLength)
    }

    private static func decode<T: Decodable>(_ url: URL) throws(ModelPlanError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
        } catch {
            throw .invalidModel("cannot read \(url.path): \(error)")
        }
    }
}
