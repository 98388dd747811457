import EISTestSupport
import Testing

/// `eis-server --threads`: a count below 1 is a usage error at start-up.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EISServerCommandThreadsTests {
    @Test(arguments: ["--threads=0", "--threads=-2"])
    func threadCountBelowOneIsAUsageError(flag: String) async throws {
        let paths = try ProcessPaths()
        let output = try await ExternalCommand.run(
            paths.server, ["--model", paths.model, "--listen", "127.0.0.1:0", flag], timeout: .seconds(30))
        #expect(output.status == 64)  // EX_USAGE, ArgumentParser's code for a validation error
        #expect(output.standardError.contains("--threads must be at least 1"), "\(output.standardError)")
    }
}
