/// Rows in binary COPY format built away from any connection (on another thread, while the
/// connection is busy with earlier work), sent later by `PostgresConnection.copyIn(_:payload:statement:)`.
public struct CopyPayload: Sendable {
    /// The COPY stream: header, rows and trailer, in chunks of about a megabyte.
    public let chunks: [[UInt8]]
    public let rowCount: Int

    /// Builds the rows `rows` appends, as `copyIn` would send them.
    public static func build(_ rows: (CopyInBuffer) throws -> Void) throws -> CopyPayload {
        let collected = ChunkCollector()
        let buffer = CopyInBuffer { (chunk: UnsafeRawBufferPointer) throws(PostgresError) in collected.chunks.append(Array(chunk)) }
        try rows(buffer)
        try buffer.finish()
        return CopyPayload(chunks: collected.chunks, rowCount: buffer.rowCount)
    }
}

/// The chunks a building buffer hands over, kept for later.
private final class ChunkCollector {
    var chunks: [[UInt8]] = []
}
