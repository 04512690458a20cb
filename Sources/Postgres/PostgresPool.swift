import Synchronization

/// A bounded set of connections for a server: a request leases one, runs its statements on
/// that connection's own thread, and gives it back. Connections open on demand, up to
/// `maximumConnections`; beyond that, requests wait their turn in order, at most
/// `leaseTimeout`. Each session waits at most `lockTimeout` for a lock (an advisory lock held
/// elsewhere must not hold a request, and its connection, for ever).
public final class PostgresPool: Sendable {
    /// What a waiting request is handed: a connection, a free slot to open one in, or its time up.
    private enum Handoff {
        case connection(PostgresConnection)
        case lookAgain
        case timedOut
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Handoff, Never>)] = []
        var nextWaiter = 0
        var closed = false
    }

    private let conninfo: String
    private let applicationName: String
    public let maximumConnections: Int
    public let leaseTimeout: Duration
    public let lockTimeout: Duration
    private let state = Mutex(State())

    public init(
        conninfo: String, applicationName: String, maximumConnections: Int = 8, leaseTimeout: Duration = .seconds(30),
        lockTimeout: Duration = .seconds(10)
    ) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.maximumConnections = max(1, maximumConnections)
        self.leaseTimeout = leaseTimeout
        self.lockTimeout = lockTimeout
    }

    /// Runs `body` with a leased connection; a connection that was lost is not given back.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let value = try await body(connection)
            giveBack(connection)
            return value
        } catch let error as PostgresError where error.isConnectionLoss {
            discard()
            throw error
        } catch {
            giveBack(connection)
            throw error
        }
    }

    /// Closes the idle connections and refuses new leases.
    public func close() {
        let waiters = state.withLock { state in
            state.closed = true
            state.idle.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: .lookAgain) }
    }

    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the database pool is closed" }
    }

    public struct LeaseTimedOut: Error, CustomStringConvertible {
        public var seconds: Int64
        public var description: String { "every database connection stayed busy for \(seconds) s" }
    }

    private enum Lease {
        case ready(PostgresConnection)
        case openNew
        case wait
        case closed
    }

    private func lease() async throws -> PostgresConnection {
        let deadline = ContinuousClock.now + leaseTimeout
        while true {
            let decision: Lease = state.withLock { state in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() { return .ready(connection) }
                if state.open < maximumConnections {
                    state.open += 1
                    return .openNew
                }
                return .wait
            }
            switch decision {
            case .ready(let connection):
                return connection
            case .closed:
                throw Closed()
            case .openNew:
                do {
                    let connection = try await PostgresConnection.open(conninfo, applicationName: applicationName)
                    try await connection.query(
                        PostgresQuery(
                            unescaped:
                                "SET lock_timeout = \(lockTimeout.components.seconds * 1000 + lockTimeout.components.attoseconds / 1_000_000_000_000_000)"
                        ),
                        statement: "bound lock waits")
                    return connection
                } catch {
                    discard()
                    throw error
                }
            case .wait:
                switch await waitForHandoff(until: deadline) {
                case .connection(let connection): return connection
                case .lookAgain: continue
                case .timedOut: throw LeaseTimedOut(seconds: leaseTimeout.components.seconds)
                }
            }
        }
    }

    /// Waits for a connection given back or a slot come free, until `deadline`.
    private func waitForHandoff(until deadline: ContinuousClock.Instant) async -> Handoff {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskGroup(of: Handoff?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let immediate: Handoff? = self.state.withLock { state in
                        if state.closed || state.open < self.maximumConnections { return .lookAgain }
                        if let connection = state.idle.popLast() { return .connection(connection) }
                        state.waiters.append((id, continuation))
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline)
                if !Task.isCancelled { self.expire(id) }
                return nil
            }
            var handoff = Handoff.timedOut
            for await result in group {
                if let result {
                    handoff = result
                    group.cancelAll()
                }
            }
            return handoff
        }
    }

    /// A waiter whose time is up leaves the queue (if nothing was handed to it meanwhile).
    private func expire(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Handoff, Never>? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        waiter?.resume(returning: .timedOut)
    }

    private func giveBack(_ connection: PostgresConnection) {
        let waiter: CheckedContinuation<Handoff, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            if state.closed {
                state.open -= 1
            } else {
                state.idle.append(connection)
            }
            return nil
        }
        waiter?.resume(returning: .connection(connection))
    }

    /// A connection that will not come back: room for a new one, offered to the first waiter.
    private func discard() {
        let waiter: CheckedContinuation<Handoff, Never>? = state.withLock { state in
            state.open -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst().continuation
        }
        waiter?.resume(returning: .lookAgain)
    }
}
