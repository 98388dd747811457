import EISBackend
import EISCore
import EISModels
import EISTokenizer
import Foundation
import Hummingbird
import NIOCore

extension Gateway {
    /// The embedding routes: OpenAI's `POST /v1/embeddings` and `GET /v1/models`, and
    /// text-embeddings-inference's `POST /embed`.
    static func addEmbeddingRoutes(to router: Router<BasicRequestContext>, current: @escaping @Sendable () -> Gateway) {
        router.post("/v1/embeddings") { request, _ in try await current().handleOpenAIEmbeddings(request) }
        router.get("/v1/models") { _, _ in try current().modelList() }
        router.post("/embed") { request, _ in try await current().handleTEIEmbed(request) }
    }

    /// `POST /v1/embeddings`: texts or token ids in, one embedding per input, in order.
    ///
    /// Texts longer than the model takes are truncated where sentence-transformers truncates
    /// (`max_seq_length`), so the answer is what `SentenceTransformer.encode` gives.
    private func handleOpenAIEmbeddings(_ request: Request) async throws -> Response {
        try await measured { modelLabel, deadline in
            let body = try await jsonBody(request, route: "POST /v1/embeddings")
            let parsed = try OpenAIEmbeddingsRequest(decoding: body, maxInputs: configuration.maxRowsPerRequest)
            let (name, pipeline, encoder) = try encoderModel(named: parsed.model, howToName: "\"model\"")
            modelLabel = name
            let encodings: [TokenEncoding]
            switch parsed.input {
            case .texts(let texts):
                encodings = texts.map { encoder.tokenizer.encode($0) }
            case .tokenIDs(let sequences):
                for (index, ids) in sequences.enumerated() where !ids.allSatisfy(encoder.tokenizer.isValidID) {
                    throw GatewayError.invalidParameter(
                        "'input\(sequences.count > 1 ? "[\(index)]" : "")' holds a token id outside the model's vocabulary (0..<\(encoder.tokenizer.vocabularySize))")
                }
                encodings = sequences.map { encoder.tokenizer.encode(tokenIDs: $0) }
            }
            let vectors = try await embed(encodings.map(\.ids), on: pipeline, encoder: encoder, normalize: encoder.normalizes, deadline: deadline)
            let answer = OpenAIEmbeddingsResponse(vectors: vectors, model: name, promptTokens: encodings.reduce(0) { $0 + $1.count },
                                                  format: parsed.encodingFormat)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try answer.encoded())))
        }
    }

    /// `POST /embed`: texts in, `[[Float]]` out. As in TEI, an input longer than the model
    /// takes is a 413 unless `truncate` is true, and `normalize` (default true) scales each
    /// embedding to unit length.
    private func handleTEIEmbed(_ request: Request) async throws -> Response {
        try await measured { modelLabel, deadline in
            let body = try await jsonBody(request, route: "POST /embed")
            let parsed = try TEIEmbedRequest(decoding: body, maxInputs: configuration.maxRowsPerRequest)
            // TEI serves one model per process: the only encoder, or the only model.
            let (name, pipeline, encoder) = try encoderModel(named: nil, howToName: "a gateway with one embedding model (TEI's /embed names none)")
            modelLabel = name
            let encodings = parsed.inputs.map { encoder.tokenizer.encode($0) }
            if !parsed.truncate, let index = encodings.firstIndex(where: \.wasTruncated) {
                throw GatewayError.inputTooLong(
                    "'inputs\(parsed.inputs.count > 1 ? "[\(index)]" : "")' has more than \(encoder.encoder.maxSequenceLength) tokens; send \"truncate\": true to cut it")
            }
            let vectors = try await embed(encodings.map(\.ids), on: pipeline, encoder: encoder, normalize: parsed.normalize, deadline: deadline)
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(try JSONEncoder().encode(vectors)))))
        }
    }

    /// `GET /v1/models`: every configured model, in OpenAI's list shape.
    private func modelList() throws -> Response {
        struct Entry: Encodable {
            let id: String
            let object = "model"
            let created = 0
            let ownedBy = "eis-gateway"

            enum CodingKeys: String, CodingKey {
                case id, object, created
                case ownedBy = "owned_by"
            }
        }
        struct List: Encodable {
            let object = "list"
            let data: [Entry]
        }
        return try Self.json(List(data: configuration.models.map { Entry(id: $0.name) }), status: .ok)
    }

    /// The body of a JSON route, refusing other content types as `/infer` does (a web page
    /// cannot send `application/json` across origins without a CORS preflight).
    private func jsonBody(_ request: Request, route: String) async throws -> [UInt8] {
        let contentType = (request.headers[.contentType] ?? "").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard contentType == "application/json" else {
            throw GatewayError.unsupportedMediaType("\(route) takes Content-Type application/json\(contentType.isEmpty ? " (none was sent)" : "")")
        }
        let body = try await collectBody(request)
        return Array(body.readableBytesView)
    }

    /// The named encoder, or the only one when `name` is nil.
    ///
    /// - Throws: `GatewayError` 404 `unknown_model`, or 400 `wrong_model_kind` for a model that
    ///   is not an encoder.
    func encoderModel(named name: String?, howToName: String) throws(GatewayError) -> (String, InferencePipeline, GatewayEncoder) {
        let encoders = pipelines.values.filter { $0.model.encoder != nil }.map(\.model.name).sorted()
        guard let name = name ?? (encoders.count == 1 ? encoders[0] : nil) else {
            throw .unknownModel("name a model with \(howToName) (embedding models: \(encoders.isEmpty ? "none" : encoders.joined(separator: ", ")))")
        }
        let (found, pipeline) = try model(named: name, howToName: howToName)
        guard let encoder = pipeline.model.encoder else {
            throw .wrongModelKind("model '\(found)' is not an embedding model: send its inputs to POST /infer")
        }
        return (found, pipeline, encoder)
    }

    /// Embeds token sequences (each with its special tokens): grouped by length bucket, each
    /// group cut into batches a share server accepts, run through the bucket's batcher (or the
    /// pipeline straight when batching is off) concurrently, then put back in input order.
    ///
    /// - Returns: one float32 embedding per sequence, L2-normalised when `normalize`.
    func embed(
        _ sequences: [[Int]], on pipeline: InferencePipeline, encoder: GatewayEncoder, normalize: Bool, deadline: ContinuousClock.Instant
    ) async throws -> [[Float]] {
        var groups = [Int: [Int]]()
        for (index, sequence) in sequences.enumerated() {
            // The tokenizer truncates at maxSequenceLength, which fits the largest bucket.
            guard let length = encoder.bucket(for: sequence.count) else {
                throw GatewayError.inputTooLong("input \(index) has \(sequence.count) tokens, more than the largest length bucket")
            }
            groups[length, default: []].append(index)
        }
        let batchers = encoderBatchers[pipeline.model.name]
        var jobs = [(length: Int, indices: [Int])]()
        for (length, indices) in groups.sorted(by: { $0.key < $1.key }) {
            let size = batchers?[length]?.maxBatch ?? encoder.maxSequences(inBucket: length)
            for start in stride(from: 0, to: indices.count, by: size) {
                jobs.append((length, Array(indices[start..<min(start + size, indices.count)])))
            }
        }
        var vectors = [[Float]](repeating: [], count: sequences.count)
        try await withThrowingTaskGroup(of: (indices: [Int], rows: [[Double]]).self) { group in
            for job in jobs {
                group.addTask {
                    let rows = encoder.rows(job.indices.map { sequences[$0] }, length: job.length)
                    if let batcher = batchers?[job.length] {
                        return (job.indices, try await batcher.infer(rows, deadline: deadline))
                    }
                    return (job.indices, try await pipeline.infer(prepared: rows, deadline: deadline))
                }
            }
            for try await (indices, rows) in group {
                for (index, row) in zip(indices, rows) {
                    vectors[index] = (normalize ? Self.unitLength(row) : row).map(Float.init)
                }
            }
        }
        return vectors
    }

    /// `row / max(‖row‖₂, 1e-12)`, as sentence-transformers' `Normalize` (torch's `F.normalize`).
    static func unitLength(_ row: [Double]) -> [Double] {
        let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return row.map { $0 / norm }
    }

    /// The most sequences of one bucket an encoder batch takes: the configured `max_batch`, but
    /// never more token rows than a share server accepts in one message.
    static func encoderBatchLimit(_ encoder: GatewayEncoder, length: Int, _ configuration: GatewayConfiguration) -> Int {
        max(1, min(configuration.batching.maxBatch, encoder.maxSequences(inBucket: length)))
    }
}
