/// The JSON body of `POST /infer`: `{"input":[…]}` or `{"inputs":[[…],…]}`, optional `"model"`.
struct InferRequest: Decodable, Sendable {
    /// Model name; defaults to the only model.
    var model: String?
    /// One input row.
    var input: [Double]?
    /// Several input rows.
    var inputs: [[Double]]?
}

/// The JSON answer for a single `input`.
struct InferResponse: Encodable, Sendable {
    var model: String
    var output: [Double]
}

/// The JSON answer for `inputs`.
struct InferBatchResponse: Encodable, Sendable {
    var model: String
    var outputs: [[Double]]
}
