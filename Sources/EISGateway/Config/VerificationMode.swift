public import EISCore

/// Which linear layers of a model have every partial checked (`[[models]] verify`).
///
/// A check costs `k · (inputs + outputs)` multiply-adds per share row on the gateway
/// (`FreivaldsCheck`), against `inputs · outputs` for the layer's product; docs/VERIFICATION.md
/// has the error bound and the costs.
public enum VerificationMode: String, Sendable, Equatable, CaseIterable {
    /// Every layer whose check costs at most `autoCostLimit` of its product (the default).
    case auto
    /// Every layer, whatever it costs.
    case freivalds
    /// No layer.
    case off

    /// Largest check cost, relative to the layer's product, that `auto` accepts.
    public static let autoCostLimit = 0.10

    /// Whether a layer of this shape, in this arithmetic, is checked. Float partials are never
    /// exact, so no float layer is checked (validation refuses `freivalds` with a float arithmetic).
    public func checks(inputs: Int, outputs: Int, arithmetic: Arithmetic) -> Bool {
        guard arithmetic == .ring64 else { return false }
        switch self {
        case .off: return false
        case .freivalds: return true
        case .auto: return FreivaldsCheck.costRatio(inputs: inputs, outputs: outputs) <= Self.autoCostLimit
        }
    }
}
