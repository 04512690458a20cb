import Synchronization

/// A bounded set of connections for a server: a request leases one, runs its statements on
/// that connection's own thread, and gives it back. Connections open on demand, up to
/// `maximumConnections`; beyond that, requests wait their turn in order.
public final class PostgresPool: Sendable {
    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
        var closed = false
    }

    private let conninfo: String
    private let applicationName: String
    public let maximumConnections: Int
    private let state = Mutex(State())

    public init(conninfo: String, applicationName: String, maximumConnections: Int = 8) {
        self.conninfo = conninfo
        self.applicationName = applicationName
        self.maximumConnections = max(1, maximumConnections)
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
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the database pool is closed" }
    }

    private enum Lease {
        case ready(PostgresConnection)
        case openNew
        case wait
        case closed
    }

    private func lease() async throws -> PostgresConnection {
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
                    return try await PostgresConnection.open(conninfo, applicationName: applicationName)
                } catch {
                    discard()
                    throw error
                }
            case .wait:
                // A connection given back, or nil: a slot came free (or the pool closed): look again.
                let handed: PostgresConnection? = await withCheckedContinuation { continuation in
                    let immediate: PostgresConnection?? = state.withLock { state in
                        if state.closed || state.open < maximumConnections { return .some(nil) }
                        if let connection = state.idle.popLast() { return .some(connection) }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let immediate { continuation.resume(returning: immediate) }
                }
                if let handed { return handed }
            }
        }
    }

    private func giveBack(_ connection: PostgresConnection) {
        let waiter: CheckedContinuation<PostgresConnection?, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            if state.closed {
                state.open -= 1
            } else {
                state.idle.append(connection)
            }
            return nil
        }
        waiter?.resume(returning: connection)
    }

    /// A connection that will not come back: room for a new one, offered to the first waiter.
    private func discard() {
        let waiter: CheckedContinuation<PostgresConnection?, Never>? = state.withLock { state in
            state.open -= 1
            return state.waiters.isEmpty ? nil : state.waiters.removeFirst()
        }
        waiter?.resume(returning: nil)
    }
}
