import EISBackend
import EISCore
@testable import KServeV2Plugin
import OpenInference
import Testing

struct KServeV2SignatureTests {
    private func metadata(
        input: (String, String, [Int]) = ("x", "INT64", [-1, 256]), output: (String, String, [Int]) = ("y", "INT64", [-1, 10]),
        extraOutputs: [TensorMetadata] = [], parameters: [String: JSONValue] = [:]
    ) -> ModelMetadata {
        ModelMetadata(
            name: "m", inputs: [TensorMetadata(name: input.0, datatype: input.1, shape: input.2)],
            outputs: [TensorMetadata(name: output.0, datatype: output.1, shape: output.2)] + extraOutputs, parameters: parameters)
    }

    private func options(_ values: [String: BackendOption] = [:]) throws -> KServeV2Options {
        try KServeV2Options(BackendOptions(values))
    }

    /// The mismatch message a signature check throws, or nil when it is accepted.
    private func refusal(_ metadata: ModelMetadata, _ options: KServeV2Options) -> String? {
        do {
            _ = try KServeV2Signature(metadata, options: options, backend: "b")
            return nil
        } catch {
            #expect(error.isMismatch)
            return error.message
        }
    }

    @Test func datatypesMapToArithmetics() throws {
        let ring = try KServeV2Signature(metadata(parameters: ["weight_frac_bits": .int(20), "weights_sha256": .string(String(repeating: "AB", count: 32))]),
                                         options: options(), backend: "b")
        #expect(ring.arithmetic == .ring64 && ring.inputs == 256 && ring.outputs == 10)
        #expect(ring.weightFractionBits == 20)
        #expect(ring.digest == String(repeating: "ab", count: 32))
        let fp32 = try KServeV2Signature(metadata(input: ("x", "FP32", [-1, 3]), output: ("y", "FP32", [-1, 2])), options: options(), backend: "b")
        #expect(fp32.arithmetic == .float32 && fp32.weightFractionBits == nil)
        let fp64 = try KServeV2Signature(metadata(input: ("x", "FP64", [-1, 3]), output: ("y", "FP64", [-1, 2])), options: options(), backend: "b")
        #expect(fp64.arithmetic == .float64)
    }

    @Test func otherDatatypesAreRefusedByName() throws {
        let message = refusal(metadata(input: ("x", "INT32", [-1, 256])), try options())
        #expect(message == "b: input 'x' has datatype INT32; expected INT64 (ring64), FP32 (float32) or FP64 (float64)")
        #expect(refusal(metadata(output: ("y", "FP32", [-1, 10])), try options())?.contains("output 'y' has datatype FP32; expected INT64") == true)
        #expect(refusal(metadata(input: ("x", "BYTES", [-1, 256])), try options())?.contains("datatype BYTES") == true)
    }

    @Test(arguments: [[256], [1, 256], [-1, -1], [-1, 0], [-1, 16, 16], [], [256, -1]])
    func shapesWithoutAVariableBatchAndAFixedWidthAreRefused(_ shape: [Int]) throws {
        let message = refusal(metadata(input: ("x", "INT64", shape)), try options())
        #expect(message == "b: input 'x' has shape \(shape); expected [-1, in] (any batch size, then the layer width)")
    }

    @Test func tensorCountsAndNamesAreChecked() throws {
        let extra = [TensorMetadata(name: "z", datatype: "INT64", shape: [-1, 3])]
        #expect(refusal(metadata(extraOutputs: extra), try options())?.contains("has 2 outputs ['y', 'z']; expected exactly one, or name one with option output_name") == true)
        let chosen = try KServeV2Signature(metadata(extraOutputs: extra), options: options(["output_name": .string("z")]), backend: "b")
        #expect(chosen.outputName == "z" && chosen.outputs == 3)
        #expect(refusal(metadata(), try options(["output_name": .string("q")]))?.contains("has no output 'q'") == true)
        #expect(refusal(metadata(), try options(["input_name": .string("q")]))?.contains("has input 'x', not 'q'") == true)
        let none = ModelMetadata(name: "m", inputs: [], outputs: [])
        #expect(refusal(none, try options())?.contains("has 0 inputs") == true)
    }

    @Test func statedParametersMustBeWellFormed() throws {
        #expect(refusal(metadata(parameters: ["weight_frac_bits": .string("26")]), try options())?.contains("weight_frac_bits") == true)
        #expect(refusal(metadata(parameters: ["weight_frac_bits": .int(63)]), try options())?.contains("weight_frac_bits") == true)
        #expect(refusal(metadata(parameters: ["weights_sha256": .string("xyz")]), try options())?.contains("weights_sha256") == true)
    }
}
