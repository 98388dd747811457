import EISBackend
import EISCore
import OpenInference

/// What a V2 model's metadata says about the layer, checked against what a share needs: one
/// input `[-1, in]` and one output `[-1, out]` of one datatype that maps to an arithmetic.
struct KServeV2Signature: Sendable, Hashable {
    /// The input tensor's name in infer requests.
    var inputName: String
    /// The output tensor's name in infer answers.
    var outputName: String
    /// INT64 → ring64, FP32 → float32, FP64 → float64.
    var arithmetic: Arithmetic
    /// Layer input width.
    var inputs: Int
    /// Layer output width.
    var outputs: Int
    /// `weight_frac_bits` from the model's metadata parameters, when the server states it.
    var weightFractionBits: Int?
    /// `weights_sha256` from the model's metadata parameters, when the server states it.
    var digest: String?

    /// Model metadata parameters a server may set so the gateway can check its weights.
    static let weightFractionBitsKey = "weight_frac_bits"
    /// See `weightFractionBitsKey`.
    static let digestKey = "weights_sha256"

}

extension KServeV2Signature {
    /// Checks metadata against what a share needs.
    ///
    /// - Throws: `BackendError.mismatch` naming the backend, what was found and what is
    ///   expected (a wrong datatype, shape, or number of tensors).
    init(_ metadata: ModelMetadata, options: KServeV2Options, backend: String) throws(BackendError) {
        guard metadata.inputs.count == 1, let input = metadata.inputs.first else {
            throw .mismatch("\(backend): model '\(BackendText.quote(metadata.name))' has \(metadata.inputs.count) inputs \(Self.names(metadata.inputs)); expected exactly one")
        }
        if let wanted = options.inputName, wanted != input.name {
            throw .mismatch("\(backend): model '\(BackendText.quote(metadata.name))' has input '\(BackendText.quote(input.name))', not '\(wanted)' (option input_name)")
        }
        let output: TensorMetadata
        if let wanted = options.outputName {
            guard let named = metadata.outputs.first(where: { $0.name == wanted }) else {
                throw .mismatch("\(backend): model '\(BackendText.quote(metadata.name))' has no output '\(wanted)' (option output_name); outputs: \(Self.names(metadata.outputs))")
            }
            output = named
        } else {
            guard metadata.outputs.count == 1, let only = metadata.outputs.first else {
                throw .mismatch("\(backend): model '\(BackendText.quote(metadata.name))' has \(metadata.outputs.count) outputs \(Self.names(metadata.outputs)); expected exactly one, or name one with option output_name")
            }
            output = only
        }
        guard let arithmetic = Self.arithmetic(of: input.datatype) else {
            throw .mismatch("\(backend): input '\(BackendText.quote(input.name))' has datatype \(BackendText.quote(input.datatype.prefix(32))); expected INT64 (ring64), FP32 (float32) or FP64 (float64)")
        }
        guard output.datatype == input.datatype else {
            throw .mismatch("\(backend): output '\(BackendText.quote(output.name))' has datatype \(BackendText.quote(output.datatype.prefix(32))); expected \(input.datatype) like input '\(BackendText.quote(input.name))'")
        }
        inputName = input.name
        outputName = output.name
        self.arithmetic = arithmetic
        inputs = try Self.width(of: input, role: "input", placeholder: "in", backend: backend)
        outputs = try Self.width(of: output, role: "output", placeholder: "out", backend: backend)
        if arithmetic == .ring64, let stated = metadata.parameters[Self.weightFractionBitsKey] {
            guard let bits = stated.intValue.flatMap({ Int(exactly: $0) }), (0...62).contains(bits) else {
                throw .mismatch("\(backend): metadata parameter \(Self.weightFractionBitsKey) is not an integer in 0...62")
            }
            weightFractionBits = bits
        }
        if let stated = metadata.parameters[Self.digestKey] {
            guard let text = stated.stringValue, text.utf8.count == 64, text.utf8.allSatisfy({ $0.isHexDigit }) else {
                throw .mismatch("\(backend): metadata parameter \(Self.digestKey) is not a SHA-256 in hex")
            }
            digest = text.lowercased()
        }
    }

    /// The arithmetic a V2 datatype computes in, or nil when none does.
    static func arithmetic(of datatype: String) -> Arithmetic? {
        switch TensorDatatype(rawValue: datatype) {
        case .int64: .ring64
        case .fp32: .float32
        case .fp64: .float64
        default: nil
        }
    }

    /// The V2 datatype that carries an arithmetic's shares.
    static func datatype(of arithmetic: Arithmetic) -> TensorDatatype {
        switch arithmetic {
        case .ring64: .int64
        case .float32: .fp32
        case .float64: .fp64
        }
    }

    /// The width `n` of a `[-1, n]` shape: a variable batch dimension, then a fixed width.
    /// Anything else (no batch dimension, a fixed batch, an unknown width) would make the row
    /// count or the width a guess, so it is refused.
    private static func width(of tensor: TensorMetadata, role: String, placeholder: String, backend: String) throws(BackendError) -> Int {
        guard tensor.shape.count == 2, tensor.shape[0] == -1, tensor.shape[1] > 0 else {
            throw .mismatch("\(backend): \(role) '\(tensor.name)' has shape \(tensor.shape); expected [-1, \(placeholder)] (any batch size, then the layer width)")
        }
        return tensor.shape[1]
    }

    private static func names(_ tensors: [TensorMetadata]) -> String {
        "[" + tensors.prefix(8).map { "'\(BackendText.quote($0.name))'" }.joined(separator: ", ") + (tensors.count > 8 ? ", …" : "") + "]"
    }
}

extension UInt8 {
    /// Whether this ASCII byte is a hexadecimal digit.
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
