import BlockingWork
import Foundation
import Synchronization

/// Password hashing on threads of its own, several at once and a bounded queue: a burst of
/// logins waits its turn on these threads, never on NIO's or the cooperative pool's, and one
/// beyond `maximumWaiting` is turned away at once rather than queued without end.
final class PasswordHashing: Sendable {
    private let executors: [BlockingExecutor]
    private let maximumWaiting: Int
    private let state = Mutex<(next: Int, inFlight: Int)>((0, 0))

    /// The check itself: Django's PBKDF2 (a test may watch what is checked against what).
    private let check: @Sendable (_ password: String, _ encoded: String) -> Bool

    struct Busy: Error {}

    init(
        threads: Int = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)), maximumWaiting: Int = 64,
        check: @escaping @Sendable (_ password: String, _ encoded: String) -> Bool = DjangoPassword.verify
    ) {
        executors = (0..<max(1, threads)).map { BlockingExecutor(label: "password hashing \($0)") }
        self.maximumWaiting = maximumWaiting
        self.check = check
    }

    /// Whether `password` matches `encoded`, at the cost of a full hash whatever `encoded` is
    /// (no user, an unusable hash such as Django's `!`): the time taken tells nothing.
    func verify(_ password: String, against encoded: String?) async throws(Busy) -> Bool {
        let executor: BlockingExecutor? = state.withLock { state in
            guard state.inFlight < maximumWaiting + executors.count else { return nil }
            state.inFlight += 1
            defer { state.next = (state.next + 1) % executors.count }
            return executors[state.next]
        }
        guard let executor else { throw Busy() }
        defer { state.withLock { $0.inFlight -= 1 } }
        return await executor.run { [check] in
            guard let encoded, DjangoPassword.isUsable(encoded) else {
                _ = check(password, DjangoPassword.placeholderHash)
                return false
            }
            return check(password, encoded)
        }
    }
}
