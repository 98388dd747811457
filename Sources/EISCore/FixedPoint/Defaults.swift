/// Fixed-point defaults shared by the gateway and the share server.
///
/// `fx + fw = 48` leaves an output headroom of `2^(63−48) = 2^15 = 32768`: every output of a
/// layer (before the bias) must satisfy `|W·x| < 32768`, which the gateway proves per input
/// before sending anything. The split favours weights because typical weights are an order of
/// magnitude smaller than inputs; on the demo layer it keeps the error near 2e-7 (< 1e-6).
public enum Defaults {
    /// Input fractional bits `fx`.
    public static let inputFractionBits = 22
    /// Weight fractional bits `fw`.
    public static let weightFractionBits = 26
}
