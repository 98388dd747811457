import EISBackend
import EISCore
@testable import KServeV2Plugin
import OpenInference
import Testing

struct KServeV2ShareCodingTests {
    private let ring = KServeV2Signature(inputName: "x", outputName: "y", arithmetic: .ring64, inputs: 3, outputs: 2)
    private let fp32 = KServeV2Signature(inputName: "x", outputName: "y", arithmetic: .float32, inputs: 3, outputs: 2)

    @Test func sharesBecomeTensorsOfTheModelsDatatype() throws {
        let ringBatch = ShareBatch(layer: "fc", ring: Matrix(rows: 1, columns: 3, elements: [.min, 0, .max]), inputFractionBits: 22)
        #expect(try KServeV2ShareCoding.tensor(for: ringBatch, signature: ring, backend: "b")
            == Tensor(name: "x", shape: [1, 3], data: .int64([.min, 0, .max])))
        let realBatch = ShareBatch(layer: "fc", arithmetic: .float32, inputFractionBits: 0, shares: .real(Matrix(rows: 1, columns: 3, elements: [0.1, -2, 1e-50])))
        #expect(try KServeV2ShareCoding.tensor(for: realBatch, signature: fp32, backend: "b").data == .fp32([0.1, -2, 0]))
        #expect(throws: BackendError.self) { try KServeV2ShareCoding.tensor(for: ringBatch, signature: fp32, backend: "b") }
        let huge = ShareBatch(layer: "fc", arithmetic: .float32, inputFractionBits: 0, shares: .real(Matrix(rows: 1, columns: 1, elements: [1e300])))
        #expect(throws: BackendError.self) { try KServeV2ShareCoding.tensor(for: huge, signature: fp32, backend: "b") }
    }

    private func answer(_ outputs: [Tensor]) -> InferenceResponse { InferenceResponse(modelName: "m", outputs: outputs) }

    /// The bad-response message for an answer, or nil when it is accepted.
    private func problem(_ response: InferenceResponse, _ signature: KServeV2Signature, rows: Int = 1) -> String? {
        do {
            _ = try KServeV2ShareCoding.partials(from: response, signature: signature, rows: rows, outputs: 2, backend: "b")
            return nil
        } catch {
            #expect(error.shortDescription == "bad_response")
            return error.message
        }
    }

    @Test func answersAreCheckedBeforeUse() throws {
        let good = try Tensor(name: "y", shape: [1, 2], data: .int64([1, 2]))
        #expect(problem(answer([good]), ring) == nil)
        // The only output is used whatever its name; among several, the name decides.
        #expect(problem(answer([try Tensor(name: "other", shape: [1, 2], data: .int64([1, 2]))]), ring) == nil)
        #expect(problem(answer([try Tensor(name: "a", shape: [1, 2], data: .int64([1, 2])), try Tensor(name: "b", shape: [1, 2], data: .int64([1, 2]))]), ring)?
            .contains("no output 'y'") == true)
        #expect(problem(answer([try Tensor(name: "y", shape: [1, 2], data: .fp32([1, 2]))]), ring)?.contains("is FP32, expected INT64") == true)
        #expect(problem(answer([try Tensor(name: "y", shape: [2, 1], data: .int64([1, 2]))]), ring)?.contains("shape [2, 1], expected [1, 2]") == true)
        #expect(problem(answer([try Tensor(name: "y", shape: [2], data: .int64([1, 2]))]), ring)?.contains("expected [1, 2]") == true)
        #expect(problem(answer([try Tensor(name: "y", shape: [1, 2], data: .fp32([1, .nan]))]), fp32)?.contains("non-finite") == true)
        #expect(problem(answer([try Tensor(name: "y", shape: [1, 2], data: .fp32([1, .infinity]))]), fp32)?.contains("non-finite") == true)
        let partials = try KServeV2ShareCoding.partials(from: answer([try Tensor(name: "y", shape: [1, 2], data: .fp32([0.5, -1]))]),
                                                         signature: fp32, rows: 1, outputs: 2, backend: "b")
        guard case .real(let matrix) = partials else { Issue.record("not real"); return }
        #expect(matrix.elements == [0.5, -1])
    }

    @Test func answerSizeBoundGrowsWithTheAnswerAndNeverOverflows() {
        #expect(KServeV2ShareCoding.maxAnswerBytes(rows: 1, outputs: 10) == (64 << 10) + 320)
        #expect(KServeV2ShareCoding.maxAnswerBytes(rows: .max, outputs: 2) == .max)
    }
}
