import TestSupport
import Testing

/// The services link only the C libraries they use: loading (cfitsio) lives in `ppdb`, and
/// Apache Avro C is a test oracle that no executable carries.
@Suite("Executables link only what they use")
struct LinkageTests {
    func libraries(_ tool: String) async throws -> String {
        try await TestEnvironment.run(["ldd", TestEnvironment.executable(tool)])
    }

    @Test("alert-sender, broker-poll and fake-broker link librdkafka and (for the database tools) libpq, not cfitsio or avro-c")
    func servicesLinkNoLoaders() async throws {
        for tool in ["alert-sender", "broker-poll", "fake-broker"] {
            let linked = try await libraries(tool)
            #expect(linked.contains("librdkafka"), "\(tool)")
            #expect(!linked.contains("libcfitsio"), "\(tool)")
            #expect(!linked.contains("libavro"), "\(tool)")
        }
        #expect(try await libraries("alert-sender").contains("libpq"))
        #expect(try await libraries("broker-poll").contains("libpq"))
        #expect(!(try await libraries("ppdb").contains("libavro")))
    }
}
