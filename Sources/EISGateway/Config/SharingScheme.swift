/// How a model's inputs are shared among its backends (`[[models]] sharing`).
public enum SharingScheme: String, Sendable, Equatable, CaseIterable {
    /// `x = x₁ + … + x_k`, one share per backend, each in its own trust domain (the default).
    case additive
    /// `x = x₁ + x₂ + x₃`; server A gets (x₁, x₂), B (x₂, x₃), C (x₃, x₁). Any two servers cover all
    /// three shares, so the fastest two answer a round; when all three answer, every share's
    /// partial is computed twice and the copies must agree (docs/VERIFICATION.md, "Replicated 2-of-3").
    case replicated2of3 = "replicated-2of3"
}
