/// The Open Inference Protocol REST paths of one model (and version).
struct KServeV2Paths: Sendable, Hashable {
    /// `/v2/models/{name}[/versions/{version}]`: the model's metadata.
    let model: String

    /// Paths for `model`, at `version` when given; both are percent-encoded as one path segment.
    init(model name: String, version: String?) {
        var path = "/v2/models/" + Self.segment(name)
        if let version { path += "/versions/" + Self.segment(version) }
        model = path
    }

    /// Server readiness.
    static let serverReady = "/v2/health/ready"
    /// The model's readiness.
    var ready: String { model + "/ready" }
    /// Inference.
    var infer: String { model + "/infer" }

    /// Percent-encodes everything but RFC 3986 unreserved characters, so a name with `/`, `?`
    /// or `%` stays one segment and cannot reach another endpoint.
    static func segment(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                encoded.unicodeScalars.append("%")
                encoded.unicodeScalars.append(hex[Int(byte >> 4)])
                encoded.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return encoded
    }
}
