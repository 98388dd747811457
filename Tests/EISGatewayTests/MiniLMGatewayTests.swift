import CurlTransport
import EISTestSupport
import Foundation
import Testing

/// all-MiniLM-L6-v2 served the way an application meets it: an `eis-gateway` process with
/// `kind = "bert-encoder"` in front of two `eis-server --model models/all-MiniLM-L6-v2`
/// processes, asked through OpenAI's and text-embeddings-inference's APIs (the real `openai`
/// Python client for the former), and compared with the float64 reference
/// (Tests/Peers/minilm_reference.py).
///
/// Heavy (`EIS_HEAVY_TESTS=1`, see `HeavyTests`): `.ci/run` runs them after the main suite. The
/// corpus test embeds a fixed sample of the tokenizer corpus, or every line with
/// `EIS_MINILM_FULL_CORPUS=1`, which `.ci/run` sets: 21 000 padded tokens, about 2 × 225 G
/// multiply-adds of server products, four minutes here.
@Suite("all-MiniLM-L6-v2 through the gateway", .enabled(if: MiniLMDeployment.shouldRun && HeavyTests.enabled), .serialized, .timeLimit(.minutes(20)))
struct MiniLMGatewayTests {
    @Test("the openai client gets embeddings within cosine 0.99999 and max |Δ| 1e-5 of float64 for corpus lines")
    func openAIClientEmbeddingsMatchTheReference() async throws {
        let lines = try MiniLMDeployment.corpusLines(full: ProcessInfo.processInfo.environment["EIS_MINILM_FULL_CORPUS"] == "1")
        let linesFile = try ProcessPaths().temporaryFile(named: "minilm-lines.jsonl", contents: MiniLMDeployment.jsonl(lines))
        defer { try? FileManager.default.removeItem(atPath: linesFile) }
        let reference = try await MiniLMDeployment.reference(linesFile: linesFile)
        #expect(reference.count == lines.count)
        try await MiniLMDeployment.with { deployment in
            let run = try await ExternalCommand.run(
                MiniLMDeployment.python,
                [ProcessPaths.packageRoot + "/Tests/Peers/minilm_openai_client.py", "--base-url", deployment.url + "/v1",
                 "--model", MiniLMDeployment.modelName, "--sentences-file", linesFile, "--batch", "32"],
                timeout: .seconds(1800))
            try #require(run.status == 0, "openai client: \(run.standardError)")
            let answer = try JSONDecoder().decode(ClientOutput.self, from: Data(run.standardOutput.utf8))
            #expect(answer.model == MiniLMDeployment.modelName)
            #expect(answer.embeddings.count == lines.count)
            // usage.prompt_tokens counts what the model read: the reference's ids, specials included.
            #expect(answer.promptTokens == reference.reduce(0) { $0 + $1.ids.count })
            var worstDelta = 0.0, worstCosine = 1.0
            for (index, (embedding, expected)) in zip(answer.embeddings, reference).enumerated() {
                let (cosine, delta) = MiniLMDeployment.compare(embedding, expected.embedding)
                #expect(cosine >= 0.99999, "line \(index): cosine \(cosine)")
                #expect(delta <= 1e-5, "line \(index): max |Δ| \(delta)")
                worstDelta = max(worstDelta, delta)
                worstCosine = min(worstCosine, cosine)
            }
            print("MiniLM through the gateway, \(lines.count) corpus lines: worst cosine \(worstCosine), worst max |Δ| \(worstDelta)")
        }
    }

    @Test("TEI's /embed, OpenAI's float and token-id inputs, and every bad input get the answers their clients expect; the gateway keeps serving")
    func embeddingAPIsAnswerInTheirShapesAndRefuseBadInputs() async throws {
        let sentences = ["That is a happy person", "Crème brûlée à la française", String(repeating: "shares and servers ", count: 120)]
        let linesFile = try ProcessPaths().temporaryFile(named: "minilm-api.jsonl", contents: MiniLMDeployment.jsonl(sentences))
        defer { try? FileManager.default.removeItem(atPath: linesFile) }
        let reference = try await MiniLMDeployment.reference(linesFile: linesFile)
        let log = try ProcessPaths().temporaryFile(named: "minilm-gateway.log", contents: "")
        defer { try? FileManager.default.removeItem(atPath: log) }
        try await MiniLMDeployment.with(gatewayKeys: "max_rows_per_request = 4", gatewayLog: log) { deployment in
            // TEI: normalised by default, in input order, as a bare list of lists.
            let tei = try await deployment.post("/embed", #"{"inputs":["That is a happy person","Crème brûlée à la française"]}"#)
            #expect(tei.status == 200)
            let teiVectors = try JSONDecoder().decode([[Double]].self, from: Data(tei.body))
            #expect(teiVectors.count == 2)
            for (vector, expected) in zip(teiVectors, reference) {
                let (cosine, delta) = MiniLMDeployment.compare(vector, expected.embedding)
                #expect(cosine >= 0.99999 && delta <= 1e-5, "cosine \(cosine), max |Δ| \(delta)")
            }
            // normalize = false: the mean-pooled vector, whose direction is the same.
            let raw = try await deployment.post("/embed", #"{"inputs":"That is a happy person","normalize":false}"#)
            let rawVector = try #require(try JSONDecoder().decode([[Double]].self, from: Data(raw.body)).first)
            let norm = rawVector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) > 0.01, "an unnormalised MiniLM embedding is not of unit length (norm \(norm))")
            #expect(MiniLMDeployment.compare(rawVector, reference[0].embedding).cosine >= 0.99999)
            // Longer than the model's 256 tokens: TEI refuses unless asked to truncate.
            let long = try await deployment.post("/embed", "{\"inputs\":\(MiniLMDeployment.json(sentences[2]))}")
            #expect(long.status == 413)
            #expect(String(decoding: long.body, as: UTF8.self).contains(#""error_type":"validation""#))
            let truncated = try await deployment.post("/embed", "{\"inputs\":\(MiniLMDeployment.json(sentences[2])),\"truncate\":true}")
            #expect(truncated.status == 200)
            let cut = try #require(try JSONDecoder().decode([[Double]].self, from: Data(truncated.body)).first)
            #expect(MiniLMDeployment.compare(cut, reference[2].embedding).cosine >= 0.99999, "truncated where sentence-transformers truncates")

            // OpenAI with float encoding, and with the reference's own token ids (without specials).
            let float = try await deployment.post("/v1/embeddings", #"{"model":"all-MiniLM-L6-v2","input":"That is a happy person","encoding_format":"float"}"#)
            #expect(float.status == 200)
            let floatAnswer = try JSONDecoder().decode(FloatAnswer.self, from: Data(float.body))
            #expect(floatAnswer.usage.prompt_tokens == reference[0].ids.count)
            let byIDs = try await deployment.post(
                "/v1/embeddings", "{\"input\":[\(reference[0].ids.dropFirst().dropLast().map(String.init).joined(separator: ","))],\"encoding_format\":\"float\"}")
            let idsAnswer = try JSONDecoder().decode(FloatAnswer.self, from: Data(byIDs.body))
            for vector in [floatAnswer.data[0].embedding, idsAnswer.data[0].embedding] {
                #expect(MiniLMDeployment.compare(vector, reference[0].embedding).maxDelta <= 1e-5)
            }

            // Bad inputs: a clear 4xx in the client's error shape each, and nothing breaks.
            let refusals: [(path: String, body: String, status: Int, code: String)] = [
                ("/v1/embeddings", #"{"input":""}"#, 400, "missing_input"),
                ("/v1/embeddings", #"{"input":[]}"#, 400, "missing_input"),
                ("/v1/embeddings", #"{"input":["a","b","c","d","e"]}"#, 400, "too_many_inputs"),
                ("/v1/embeddings", #"{"input":["a",1]}"#, 400, "invalid_parameter"),
                ("/v1/embeddings", #"{"input":5}"#, 400, "invalid_parameter"),
                ("/v1/embeddings", #"{"input":[999999]}"#, 400, "invalid_parameter"),
                ("/v1/embeddings", #"{"input":"a","dimensions":64}"#, 400, "unsupported_parameter"),
                ("/v1/embeddings", #"{"input":"a","model":"text-embedding-3-small"}"#, 404, "unknown_model"),
                ("/v1/embeddings", #"{"input":"a""#, 400, "malformed_json"),
                ("/embed", #"{"inputs":[]}"#, 400, "validation"),
                ("/embed", #"{"inputs":[1]}"#, 400, "validation"),
                ("/infer", #"{"input":[1,2,3]}"#, 400, "wrong_model_kind"),
            ]
            for refusal in refusals {
                let response = try await deployment.post(refusal.path, refusal.body)
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == refusal.status, "\(refusal.path) \(refusal.body): \(response.status) \(text)")
                #expect(text.contains(refusal.code), "\(refusal.path) \(refusal.body): \(text)")
                if refusal.path == "/v1/embeddings" {
                    #expect(text.contains(#""type":"invalid_request_error""#), "OpenAI's error shape: \(text)")
                }
            }
            // Concurrent requests of two length buckets: batched per bucket, each answered its own.
            let texts = ["That is a happy dog", "Today is a sunny day", "The cat sits outside", "A man is eating food.",
                         "A man is riding a white horse on an enclosed ground, slowly, as the sun sets behind the hills.",
                         "Privacy-preserving inference splits every linear layer's input into random shares, one per server.",
                         "Numbers 3.14159 2.71828 1.41421 and 1e-12 are small but they still tokenise into many pieces.",
                         "https://example.com/path?q=private&id=42 is a URL that the tokenizer cuts into many word pieces"]
            let batchesBefore = try await deployment.batchCount()
            let solo = try await withThrowingTaskGroup(of: (Int, [Double]).self) { group in
                for (index, text) in texts.enumerated() {
                    group.addTask { (index, try await deployment.embedding(text)) }
                }
                var answers = [[Double]](repeating: [], count: texts.count)
                for try await (index, vector) in group { answers[index] = vector }
                return answers
            }
            let batches = try await deployment.batchCount() - batchesBefore
            #expect(batches < 8, "some of the 8 concurrent requests shared a batch: \(batches) batches")
            for (index, text) in texts.enumerated() {
                let again = try await deployment.embedding(text)
                #expect(MiniLMDeployment.compare(solo[index], again).maxDelta <= 1e-6, "request \(index) got its own embedding in a batch")
            }
            let models = try await deployment.get("/v1/models")
            #expect(String(decoding: models.body, as: UTF8.self).contains(#""id":"all-MiniLM-L6-v2""#))
            let after = try await deployment.post("/v1/embeddings", #"{"input":"That is a happy person","encoding_format":"float"}"#)
            #expect(after.status == 200, "the gateway keeps serving after bad inputs")
        }
        // Invariant 3: texts never reach the log, at debug level either.
        let logged = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!logged.isEmpty, "the gateway wrote its log")
        for text in ["happy person", "brûlée", "shares and servers shares", "sunny day"] {
            #expect(!logged.contains(text), "an input reached the gateway's log")
        }
    }

    /// What minilm_openai_client.py prints.
    private struct ClientOutput: Decodable {
        let embeddings: [[Double]]
        let promptTokens: Int
        let model: String

        enum CodingKeys: String, CodingKey {
            case embeddings, model
            case promptTokens = "prompt_tokens"
        }
    }

    /// A `/v1/embeddings` answer with `encoding_format: float`.
    private struct FloatAnswer: Decodable {
        struct Item: Decodable { let embedding: [Double] }
        // swiftlint:disable:next nesting
        struct Usage: Decodable { let prompt_tokens: Int }  // swiftlint:disable:this identifier_name
        let data: [Item]
        let usage: Usage
    }
}

/// An `eis-gateway` process serving all-MiniLM-L6-v2 from two `eis-server` processes, and the
/// float64 reference.
enum MiniLMDeployment {
    static let modelName = "all-MiniLM-L6-v2"
    static let folder = ProcessPaths.packageRoot + "/models/all-MiniLM-L6-v2"
    static let python = ProcessPaths.packageRoot + "/.venv/minilm/bin/python"

    /// Locally skipped without the model or the venv; under CI (`CI` set) always run, so a
    /// missing setup step fails loudly.
    static var shouldRun: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil
            || (FileManager.default.isExecutableFile(atPath: python) && FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
    }

    /// A deployment's gateway URL and a client.
    struct Handle {
        let url: String
        let client: CurlHTTPClient

        func post(_ path: String, _ json: String) async throws -> HTTPClientResponse {
            try await client.execute(HTTPClientRequest(method: .post, url: url + path, headers: [(name: "Content-Type", value: "application/json")],
                                                       body: Array(json.utf8)), timeout: .seconds(300))
        }

        /// One text's embedding through `/v1/embeddings` (float encoding).
        func embedding(_ text: String) async throws -> [Double] {
            struct Answer: Decodable {
                struct Item: Decodable { let embedding: [Double] }
                let data: [Item]
            }
            let response = try await post("/v1/embeddings", "{\"input\":\(MiniLMDeployment.json(text)),\"encoding_format\":\"float\"}")
            try #require(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
            return try JSONDecoder().decode(Answer.self, from: Data(response.body)).data[0].embedding
        }

        /// Batches sent so far (`eis_batch_requests_count`).
        func batchCount() async throws -> Double {
            let metrics = String(decoding: try await get("/metrics").body, as: UTF8.self)
            return metrics.split(separator: "\n").first { $0.hasPrefix("eis_batch_requests_count{") }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }

        func get(_ path: String) async throws -> HTTPClientResponse {
            try await client.execute(HTTPClientRequest(method: .get, url: url + path), timeout: .seconds(30))
        }
    }

    /// Runs `body` against a gateway process and two share server processes serving the model;
    /// every process is stopped afterwards, also when `body` throws.
    static func with(gatewayKeys: String = "", gatewayLog: String? = nil, _ body: (Handle) async throws -> Void) async throws {
        // Long batches of long sentences are many large rounds on a busy machine: generous deadlines.
        let keys = "request_timeout_ms = 600000\nbackend_timeout_ms = 120000\n" + gatewayKeys
        try await withProcessDeployment(servers: 2, model: (modelName, folder), gatewayKeys: keys, modelKeys: "kind = \"bert-encoder\"",
                                        gatewayLog: gatewayLog, gatewayLogLevel: gatewayLog == nil ? "warning" : "debug") { deployment in
            try await body(Handle(url: deployment.url, client: deployment.client))
        }
    }

    /// The tokenizer corpus's non-empty lines (an empty string is refused by OpenAI's API, and
    /// by ours): all of them, or every 25th.
    static func corpusLines(full: Bool) throws -> [String] {
        let text = try String(contentsOfFile: ProcessPaths.packageRoot + "/Tests/Peers/minilm-tokenizer-corpus.jsonl", encoding: .utf8)
        let lines = try text.split(separator: "\n").map { try JSONDecoder().decode(String.self, from: Data($0.utf8)) }.filter { !$0.isEmpty }
        return full ? lines : lines.enumerated().filter { $0.offset % 25 == 0 }.map(\.element)
    }

    /// One JSON string per line.
    static func jsonl(_ lines: [String]) -> String {
        lines.map(json).joined(separator: "\n") + "\n"
    }

    /// A JSON string literal.
    static func json(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self)
    }

    /// What the reference computed for one sentence.
    struct Item: Decodable {
        let ids: [Int]
        let embedding: [Double]
    }

    /// The float64 reference for the lines of a JSONL file.
    static func reference(linesFile: String) async throws -> [Item] {
        struct Output: Decodable { let items: [Item] }
        let run = try await ExternalCommand.run(
            python, [ProcessPaths.packageRoot + "/Tests/Peers/minilm_reference.py", "--model", folder, "--sentences-jsonl", linesFile],
            timeout: .seconds(900))
        try #require(run.status == 0, "minilm_reference.py: \(run.standardError)")
        return try JSONDecoder().decode(Output.self, from: Data(run.standardOutput.utf8)).items
    }

    /// Cosine similarity and the largest element-wise difference.
    static func compare(_ a: [Double], _ b: [Double]) -> (cosine: Double, maxDelta: Double) {
        var dot = 0.0, na = 0.0, nb = 0.0, delta = a.count == b.count ? 0.0 : .infinity
        for (x, y) in zip(a, b) {
            dot += x * y
            na += x * x
            nb += y * y
            delta = max(delta, abs(x - y))
        }
        return (dot / (na.squareRoot() * nb.squareRoot()), delta)
    }
}
