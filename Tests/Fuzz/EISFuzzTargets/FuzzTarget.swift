import EISBackend
import EISCore
import EISGateway
import OpenInference

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
    /// The Open Inference Protocol request decoder and the gateway's reading of what it decodes
    /// (what `POST /v2/models/{name}/infer` reads from any local client).
    case v2Request = "v2-request"
    /// The Open Inference Protocol response decoder (what the gateway reads from a kserve-v2 backend).
    case v2Response = "v2-response"
    /// The V2 model metadata, error and readiness decoders (also read from kserve-v2 backends).
    case v2Metadata = "v2-metadata"
    /// `BackendText.quote`, which every plugin passes a backend's error text through before a
    /// log or `/healthz` sees it (issue 12, item 4).
    case backendText = "backend-text"
    /// The gateway's reading of a request's `Host` (issue 12, item 6: DNS rebinding).
    case requestHost = "request-host"

    /// Runs one input through the target.
    public func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .shareRequest: Self.shareRequest(data)
        case .shareResponse: Self.shareResponse(data)
        case .inferJSON: Self.inferJSON(data)
        case .config: Self.config(data)
        case .safetensors: Self.safetensors(data)
        case .v2Request: Self.v2Request(data)
        case .v2Response: Self.v2Response(data)
        case .v2Metadata: Self.v2Metadata(data)
        case .backendText: Self.backendText(data)
        case .requestHost: Self.requestHost(data)
        }
    }

    /// Whatever a backend sends, the quote is short, has no control or format characters, and
    /// holds no run of five ASCII digits (a share's value).
    static func backendText(_ data: UnsafeRawBufferPointer) {
        let quoted = BackendText.quote(bytes: data)
        precondition(quoted.count <= BackendText.limit + 1, "quote too long")
        precondition(!quoted.unicodeScalars.contains { [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) },
                     "control character survived")
        var run = 0
        for scalar in quoted.unicodeScalars {
            run = ("0"..."9").contains(scalar) ? run + 1 : (".+-eE".unicodeScalars.contains(scalar) ? run : 0)
            precondition(run < 5, "a long digit run survived")
        }
    }

    /// Any `Host` value: parsing never traps, and no name outside the loopback names is taken
    /// for a loopback listener's own (a rebinding page's host name must be refused).
    static func requestHost(_ data: UnsafeRawBufferPointer) {
        let authority = String(decoding: data, as: UTF8.self)
        let configuration = GatewayConfiguration()
        guard configuration.allowsHost(authority) else { return }
        let host = GatewayConfiguration.host(of: authority)
        precondition(["localhost", "127.0.0.1", "::1"].contains(host), "host \(host) accepted for a loopback listener")
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

    /// Small limits for the V2 decoders, as for the native ones.
    static let v2Limits = OpenInferenceLimits(maxTensors: 16, maxElements: 1 << 16, maxRank: 8, maxDepth: 32)

    /// A V2 body and its JSON length: an input starting with 0x00 (which no JSON body does) is a
    /// binary-extension body whose JSON length is the next two bytes, little-endian; any other
    /// input is a JSON-only body.
    static func v2Body(_ data: UnsafeRawBufferPointer) -> (body: [UInt8], jsonLength: Int?) {
        guard data.count >= 3, data[0] == 0 else { return (Array(data), nil) }
        let body = Array(data[3...])
        return (body, min(Int(data[1]) | Int(data[2]) << 8, body.count))
    }

    /// Checks what every decoded tensor list promises: counts within the limits, data as the shapes say.
    static func checkTensors(_ tensors: [Tensor]) {
        precondition(tensors.count <= v2Limits.maxTensors, "maxTensors not enforced")
        var total = 0
        for tensor in tensors {
            precondition(tensor.shape.allSatisfy { $0 >= 0 } && tensor.shape.count <= v2Limits.maxRank, "bad shape accepted")
            precondition(tensor.data.count == tensor.shape.reduce(1, *), "data count differs from the shape")
            total += tensor.data.count
        }
        precondition(total <= v2Limits.maxElements, "maxElements not enforced")
    }

    static func v2Request(_ data: UnsafeRawBufferPointer) {
        let (body, jsonLength) = v2Body(data)
        guard let request = try? InferenceRequest(decoding: body, jsonLength: jsonLength, limits: v2Limits) else { return }
        checkTensors(request.inputs)
        // Re-encoding is canonical: encode → decode → encode gives the same bytes (NaNs included,
        // which only binary data can carry and binary encoding keeps bit for bit).
        let binary: BinaryTensors = jsonLength == nil ? .none : .all
        guard let first = try? request.encoded(binary: binary),
              let again = try? InferenceRequest(decoding: first.bytes, jsonLength: first.jsonLength, limits: v2Limits),
              let second = try? again.encoded(binary: binary) else { preconditionFailure("an accepted request does not re-encode") }
        precondition(first == second, "request encoding is not stable")
        inboundV2(request)
    }

    /// A small model as the inbound V2 route shows it.
    static let v2Signature = V2Inference.Signature(inputName: "input", outputName: "output", inputs: 4, outputs: 2)

    /// The gateway's reading of a decoded request: rows as wide as the model, no more than the
    /// limit, and an answer that decodes back with the shape the request's rank asks for.
    static func inboundV2(_ request: InferenceRequest) {
        guard let inference = try? V2Inference(request, signature: v2Signature, maxRows: maxRows) else { return }
        precondition(!inference.rows.isEmpty && inference.rows.count <= maxRows, "row limit not enforced")
        precondition(inference.rows.allSatisfy { $0.count == v2Signature.inputs }, "a row of the wrong width accepted")
        let outputs = inference.rows.map { _ in [0.5, -0.25] }
        guard let body = try? inference.response(outputs, model: "m", version: "1"),
              let answer = try? InferenceResponse(decoding: body.bytes, jsonLength: body.jsonLength, limits: v2Limits),
              let tensor = answer.output(named: "output") else { preconditionFailure("an answer does not decode") }
        precondition(tensor.shape == (inference.batched ? [outputs.count, 2] : [2]), "answer shape differs from the request's rank")
        precondition(answer.id == request.id, "the request id is not echoed")
    }

    static func v2Response(_ data: UnsafeRawBufferPointer) {
        let (body, jsonLength) = v2Body(data)
        guard let response = try? InferenceResponse(decoding: body, jsonLength: jsonLength, limits: v2Limits) else { return }
        checkTensors(response.outputs)
        let binary: BinaryTensors = jsonLength == nil ? .none : .all
        guard let first = try? response.encoded(binary: binary),
              let again = try? InferenceResponse(decoding: first.bytes, jsonLength: first.jsonLength, limits: v2Limits),
              let second = try? again.encoded(binary: binary) else { preconditionFailure("an accepted response does not re-encode") }
        precondition(first == second, "response encoding is not stable")
    }

    static func v2Metadata(_ data: UnsafeRawBufferPointer) {
        let body = Array(data)
        _ = ErrorBody(decoding: body, limits: v2Limits)
        _ = ReadinessBody(decoding: body, limits: v2Limits)
        guard let metadata = try? ModelMetadata(decoding: body, limits: v2Limits) else { return }
        precondition(metadata.inputs.count <= v2Limits.maxTensors && metadata.outputs.count <= v2Limits.maxTensors, "maxTensors not enforced")
        precondition((metadata.inputs + metadata.outputs).allSatisfy { $0.shape.allSatisfy { $0 >= -1 } }, "bad shape accepted")
        guard let encoded = try? metadata.encoded(), let again = try? ModelMetadata(decoding: encoded, limits: v2Limits) else {
            preconditionFailure("accepted metadata does not re-encode")
        }
        precondition(again == metadata, "metadata does not round-trip")
    }
}
