/// The body of `POST /infer`: `{"input":[…]}` or `{"inputs":[[…],…]}`, optional `"model"`.
///
/// Parsed by `InferBodyParser`.
package struct InferRequest: Sendable {
    /// Model name; defaults to the only model.
    package var model: String?
    /// One input row.
    package var input: [Double]?
    /// Several input rows.
    package var inputs: [[Double]]?
}
