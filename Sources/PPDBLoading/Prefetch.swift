import Dispatch
import TOMDatabase

/// Work started on another thread now and collected later: how the loaders read or generate
/// the next piece while the current one is copied.
///
/// `@unchecked Sendable`: `result` is written once, by the worker, before `done` is left, and
/// read only after waiting on `done`.
final class Prefetch<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchGroup()

    init(_ work: @escaping @Sendable () throws -> Value) {
        done.enter()
        DispatchQueue.global().async { [self] in
            result = Result { try work() }
            done.leave()
        }
    }

    /// Waits for the work; its value, or what it threw.
    func value() throws -> Value {
        done.wait()
        // The worker sets `result` before leaving the group.
        guard let result else { preconditionFailure("prefetch finished without a result") }
        return try result.get()
    }
}
