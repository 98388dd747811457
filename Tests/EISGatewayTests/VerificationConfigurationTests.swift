@testable import EISGateway
import Testing

/// The `verify` and `sharing` keys of `[[models]]` (issue 16).
struct VerificationConfigurationTests {
    typealias Base = GatewayConfigurationTests

    @Test func verifyAndSharingDefaultToAutoAndAdditive() throws {
        let model = try #require(try GatewayConfiguration(toml: Base.validTOML()).models.first)
        #expect(model.verify == .auto && model.sharing == .additive && model.shares == 2)
    }

    @Test func replicatedSharingDefaultsToThreeShares() throws {
        let third = "\n  [[models.backends]]\n  name = \"c\"\n  url = \"https://c.example:9101\"\n  trust_domain = \"operator-c\"\n"
        let model = try #require(try GatewayConfiguration(toml: Base.validTOML(model: "sharing = \"replicated-2of3\"\nverify = \"freivalds\"") + third).models.first)
        #expect(model.sharing == .replicated2of3 && model.shares == 3 && model.verify == .freivalds)
    }

    @Test func badValuesAreReportedUnderTheirKeyPaths() {
        let unknown = Base.problems(Base.validTOML(model: "verify = \"sometimes\"\nsharing = \"shamir\""))
        #expect(unknown.contains { $0.hasPrefix("models[0].verify: unknown mode \"sometimes\"") }, "\(unknown)")
        #expect(unknown.contains { $0.hasPrefix("models[0].sharing: unknown sharing \"shamir\"") }, "\(unknown)")
        // Two backends cannot carry three shares, and replicated sharing means exactly three.
        let tooFew = Base.problems(Base.validTOML(model: "sharing = \"replicated-2of3\""))
        #expect(tooFew.contains { $0.hasPrefix("models[0].backends: 3 shares need at least 3 backends") }, "\(tooFew)")
        let four = Base.problems(Base.validTOML(model: "sharing = \"replicated-2of3\"\nshares = 4"))
        #expect(four.contains { $0.contains("replicated-2of3 sharing uses exactly 3 shares, not 4") }, "\(four)")
        let float = Base.problems(Base.validTOML(model: "arithmetic = \"float64\"\nallow_float_sharing = true\nfloat_mask_range = 100\nverify = \"freivalds\""))
        #expect(float.contains { $0.hasPrefix("models[0].verify: freivalds checks exact ring64 partials only") }, "\(float)")
    }
}
