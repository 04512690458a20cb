import Foundation
import TestSupport
import Testing

/// The suite's own footing: a peer's failure is one test's failure, never the whole run's.
@Suite("The test harness: failing peers and missing reference data")
struct TestHarnessTests {
    @Test("A peer that exits while its input is still being written fails this test alone, with its status and stderr")
    func failingPeer() async throws {
        // Far more than a pipe holds, so the writer is mid-write when the reader has gone.
        let input = String(repeating: "x", count: 8 << 20)
        do {
            _ = try await TestEnvironment.run(["python3", "-c", "import sys; sys.stderr.write('peer gave up'); sys.exit(3)"], input: input)
            Issue.record("a failing peer was taken for a success")
        } catch let failure as TestEnvironment.CommandFailure {
            #expect(failure.description.contains("exited 3") && failure.description.contains("peer gave up"), "\(failure)")
        }
    }

    @Test("A missing reference file fails with a sentence naming the file and where the public files go")
    func missingReference() throws {
        let error = #expect(throws: TestEnvironment.MissingReference.self) { try TestEnvironment.reference("schema/no-such.avsc") }
        let message = error?.description ?? ""
        #expect(message.contains("schema/no-such.avsc") && message.contains("ELASTICC_REFERENCE_DIR") && message.contains("tom_desc"))
    }
}
