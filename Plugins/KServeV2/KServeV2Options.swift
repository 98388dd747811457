import EISBackend

/// The `kserve-v2` settings from a backend's `options` table, checked once at start-up.
///
/// | key | type | default | meaning |
/// |---|---|---|---|
/// | `binary_data` | bool | true | send shares in the binary tensor extension and ask for binary answers; a server that refuses it (400/415/422/500, and JSON then works) gets JSON from then on |
/// | `version` | string | none | address `/v2/models/{m}/versions/{v}` |
/// | `input_name` | string | the metadata's only input | must name it |
/// | `output_name` | string | the metadata's only output | picks one of several outputs |
struct KServeV2Options: Sendable, Hashable {
    /// Every key this plugin accepts.
    static let keys: Set<String> = ["binary_data", "version", "input_name", "output_name"]

    var binaryData = true
    var version: String?
    var inputName: String?
    var outputName: String?

    /// Reads and checks the options.
    ///
    /// - Throws: `BackendError.unsupported` for a wrong type or an empty string.
    init(_ options: BackendOptions) throws(BackendError) {
        binaryData = try options.bool("binary_data") ?? true
        version = try Self.nonEmpty(options, "version")
        inputName = try Self.nonEmpty(options, "input_name")
        outputName = try Self.nonEmpty(options, "output_name")
    }

    private static func nonEmpty(_ options: BackendOptions, _ key: String) throws(BackendError) -> String? {
        guard let value = try options.string(key) else { return nil }
        guard !value.isEmpty else { throw .unsupported("option \(key) must not be empty") }
        return value
    }
}
