import Synchronization

/// Failed logins per client address and per username in a sliding window: past either limit,
/// a login is answered 429 without hashing, so guessing is slow and strangers cannot use up the
/// hashing threads real users need. A success clears its username's count.
final class LoginThrottle: Sendable {
    struct Limits: Sendable {
        var failuresPerUsername = 10
        var failuresPerAddress = 30
        var window: Duration = .seconds(300)
    }

    private let limits: Limits
    private let failures = Mutex<(byUsername: [String: [ContinuousClock.Instant]], byAddress: [String: [ContinuousClock.Instant]])>(([:], [:]))
    /// Keys kept at most, per map: past it, the oldest entries go (a flood of names costs bounded memory).
    private static let maximumKeys = 100_000

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds until a login for `username` from `address` may be tried again, or nil if now.
    func retryAfter(username: String, address: String) -> Int? {
        let now = ContinuousClock.now
        return failures.withLock { failures in
            let user = Self.recent(failures.byUsername[username] ?? [], now: now, window: limits.window)
            let client = Self.recent(failures.byAddress[address] ?? [], now: now, window: limits.window)
            var waits: [Duration] = []
            if user.count >= limits.failuresPerUsername, let oldest = user.first { waits.append(oldest + limits.window - now) }
            if client.count >= limits.failuresPerAddress, let oldest = client.first { waits.append(oldest + limits.window - now) }
            return waits.max().map { max(1, Int(($0 / .seconds(1)).rounded(.up))) }
        }
    }

    func failed(username: String, address: String) {
        let now = ContinuousClock.now
        failures.withLock { failures in
            Self.record(now, key: username, in: &failures.byUsername, window: limits.window)
            Self.record(now, key: address, in: &failures.byAddress, window: limits.window)
        }
    }

    func succeeded(username: String) {
        _ = failures.withLock { $0.byUsername.removeValue(forKey: username) }
    }

    private static func recent(_ times: [ContinuousClock.Instant], now: ContinuousClock.Instant, window: Duration) -> [ContinuousClock.Instant] {
        times.filter { now - $0 < window }
    }

    private static func record(_ now: ContinuousClock.Instant, key: String, in map: inout [String: [ContinuousClock.Instant]], window: Duration) {
        if map.count >= maximumKeys {
            map = map.filter { $0.value.last.map { now - $0 < window } ?? false }
            if map.count >= maximumKeys { map.removeAll() }
        }
        var times = recent(map[key] ?? [], now: now, window: window)
        times.append(now)
        map[key] = Array(times.suffix(100))
    }
}
