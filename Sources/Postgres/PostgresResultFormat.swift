/// How the server sends a query's result values.
public enum PostgresResultFormat: Int32, Sendable {
    /// Each value as its type's text output.
    case text = 0
    /// Each value in its type's binary send format (big-endian integers and IEEE floats).
    case binary = 1
}
