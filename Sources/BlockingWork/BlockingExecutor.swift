import Dispatch

/// The thread a C client's blocking calls run on: a private serial dispatch queue, usable both
/// as a task executor (`withTaskExecutorPreference`, the pattern of swift-kafka-client's
/// `DispatchQueueTaskExecutor`) and as the serial executor of actors that keep one client's
/// state. Swift's cooperative pool (two threads on a 2-core machine) and NIO's event loops never
/// wait on a blocking call this way: they hand the work over and are resumed with its result.
///
/// Every job runs to completion on the queue before the next starts, so synchronous work run
/// here has the client to itself.
public final class BlockingExecutor: SerialExecutor, TaskExecutor {
    private let queue: DispatchQueue
    private static let identity = DispatchSpecificKey<ObjectIdentifier>()

    public init(label: String) {
        queue = DispatchQueue(label: label)
        queue.setSpecific(key: Self.identity, value: ObjectIdentifier(self))
    }

    /// Whether the calling code runs on this executor's queue.
    public var isCurrent: Bool {
        DispatchQueue.getSpecific(key: Self.identity) == ObjectIdentifier(self)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async {
            job.runSynchronously(isolatedTo: self.asUnownedSerialExecutor(), taskExecutor: self.asUnownedTaskExecutor())
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        dispatchPrecondition(condition: .onQueue(queue))
    }

    /// Runs blocking `body` on this executor's thread and resumes the caller with its outcome.
    public func run<T: Sendable, Failure: Error>(_ body: @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(self) { () async throws(Failure) -> T in
            try await Self.call(body)
        }
    }

    /// Runs `body` without waiting for it (work whose outcome arrives by another path).
    public func execute(_ body: @escaping @Sendable () -> Void) {
        queue.async(execute: body)
    }

    // A `@concurrent` function runs on the task's preferred executor, whatever the caller's
    // isolation: this is what puts `body` on the queue.
    @concurrent
    private static func call<T: Sendable, Failure: Error>(_ body: @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
        try body()
    }
}
