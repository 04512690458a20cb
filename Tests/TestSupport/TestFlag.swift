import Synchronization

/// A flag one task raises and others read: "stop now", "finished".
public final class TestFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func set() { raised.store(true, ordering: .releasing) }

    public var isSet: Bool { raised.load(ordering: .acquiring) }
}
