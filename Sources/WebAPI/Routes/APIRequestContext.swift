import Hummingbird

/// A request's context: Hummingbird's core storage and the logged-in user, if any.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: TOMUser?
    /// The client's address (no port), for per-address limits; "unknown" without a socket.
    public let clientAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        user = nil
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Batches of broker messages may be large; the push route checks its own limit.
    public var maxUploadSize: Int { APISettings.maximumBodyBytes }
}
