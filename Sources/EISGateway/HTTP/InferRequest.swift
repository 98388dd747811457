/// The body of `POST /infer`: `{"input":[…]}` or `{"inputs":[[…],…]}`, optional `"model"`.
///
/// Parsed by `InferBodyParser`.
struct InferRequest: Sendable {
    /// Model name; defaults to the only model.
    var model: String?
    /// One input row.
    var input: [Double]?
    /// Several input rows.
    var inputs: [[Double]]?
}
