import ServiceLifecycle
import ServiceLifecycleTestKit

extension TestEnvironment {
    /// Runs a service's work under graceful-shutdown handling, as its `ServiceGroup` would, and
    /// starts the graceful shutdown once `condition` holds (or `timeout` passed: then the work
    /// is stopped the same way and the timeout thrown). Returns when the work has returned.
    public static func runUntil(
        timeout: Duration = .seconds(90), _ what: String = "condition", until condition: @escaping @Sendable () async throws -> Bool,
        work: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await work() }
                group.addTask {
                    defer { trigger.triggerGracefulShutdown() }
                    try await waitUntil(timeout: timeout, what, condition)
                }
                try await group.waitForAll()
            }
        }
    }
}
