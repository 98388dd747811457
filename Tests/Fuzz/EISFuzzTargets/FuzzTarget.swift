import EISCore
import EISGateway

/// The decoders that read untrusted bytes, each wrapped as a fuzz target.
///
/// A target feeds one input to one decoder and checks what must hold for any input: the
/// decoder either refuses it with its typed error or returns a value that satisfies the
/// decoder's promises (round trips, limits, finiteness). A broken promise is a `precondition`
/// failure, so libFuzzer reports it like a crash and saves the input.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The native protocol's request decoder (what eis-server reads from any client).
    case shareRequest = "share-request"
    /// The native protocol's response decoder (what the gateway reads from any backend).
    case shareResponse = "share-response"
    /// The `/infer` JSON body parser (what the gateway reads from any local client).
    case inferJSON = "infer-json"
    /// The gateway.conf loader (TOML).
    case config
    /// The safetensors reader (model files).
    case safetensors

    /// Runs one input through the target.
    public func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .shareRequest: Self.shareRequest(data)
        case .shareResponse: Self.shareResponse(data)
        case .inferJSON: Self.inferJSON(data)
        case .config: Self.config(data)
        case .safetensors: Self.safetensors(data)
        }
    }

    /// Small limits, so the fuzzer explores the checks rather than allocating.
    static let limits = ShareLimits(maxRows: 64, maxColumns: 4096, maxElements: 1 << 16)

    static func shareRequest(_ data: UnsafeRawBufferPointer) {
        guard let request = try? ShareRequest(decoding: data, limits: limits) else { return }
        precondition(request.shares.rows <= limits.maxRows && request.shares.columns <= limits.maxColumns, "limits not enforced")
        // What was accepted must survive its own encoding unchanged.
        let again = try? ShareRequest(decoding: request.encoded(), limits: limits)
        precondition(again?.model == request.model && again?.layer == request.layer
                     && again?.arithmetic == request.arithmetic && again?.inputFractionBits == request.inputFractionBits
                     && again?.shares == request.shares, "request does not round-trip")
    }

    static func shareResponse(_ data: UnsafeRawBufferPointer) {
        guard let response = try? ShareResponse(decoding: data, limits: limits) else { return }
        precondition(response.partials.elements.count == response.partials.rows * response.partials.columns, "bad matrix")
        precondition(response.encoded().elementsEqual(data), "an accepted response is not its own encoding")
    }

    static let maxRows = 16

    static func inferJSON(_ data: UnsafeRawBufferPointer) {
        guard let request = try? InferBodyParser.parse(data, maxRows: maxRows) else { return }
        if let input = request.input { precondition(input.allSatisfy(\.isFinite), "non-finite value accepted") }
        if let inputs = request.inputs {
            precondition(inputs.count <= maxRows, "maxRows not enforced")
            precondition(inputs.allSatisfy { $0.allSatisfy(\.isFinite) }, "non-finite value accepted")
        }
    }

    static func config(_ data: UnsafeRawBufferPointer) {
        // TOML is text; invalid UTF-8 becomes replacement characters, as reading a file would.
        let text = String(decoding: data, as: UTF8.self)
        guard let configuration = try? GatewayConfiguration(toml: text, baseDirectory: "/nonexistent") else { return }
        precondition(configuration.validationProblems().isEmpty, "an accepted configuration has problems")
    }

    static func safetensors(_ data: UnsafeRawBufferPointer) {
        guard let file = try? SafetensorsFile(bytes: Array(data)) else { return }
        _ = try? LinearLayer.layers(in: file)
    }
}
