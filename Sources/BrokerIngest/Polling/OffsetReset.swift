import Foundation
import Kafka
import Postgres
import TOMDatabase

/// `broker-poll reset-offsets`: the one explicit way on for a partition broker-poll refused
/// (its stored position does not fit Kafka's). Moves a consumer group's stored positions and
/// logs each move, with who and when, in `elasticcstream_offset_reset`.
public enum OffsetReset {
    public enum Target: Sendable, Equatable {
        case earliest
        case latest
        case offset(Int64)
    }

    public struct Move: Sendable, Equatable {
        public var partition: KafkaTopicPartition
        public var previous: Int64?
        public var new: Int64
        public var watermarks: KafkaWatermarks
    }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// Moves the stored positions of `topic` (every partition, or only `partition`) for `group`
    /// to `target`, checked against the partitions' watermarks; returns the moves made.
    public static func reset(
        group: String, topic: String, partition: Int32?, to target: Target, resetBy: String, consumer: KafkaConsumer, conninfo: String
    ) async throws -> [Move] {
        let metadata = try await consumer.topics()
        let partitions = metadata.partitions(of: [topic]).filter { partition == nil || $0.partition == partition }.sorted {
            $0.partition < $1.partition
        }
        guard !partitions.isEmpty else {
            throw Refused(description: partition.map { "topic \(topic) has no partition \($0)" } ?? "topic \(topic) does not exist on this cluster")
        }
        var moves: [Move] = []
        for partition in partitions {
            let marks = try await consumer.watermarks(topic: partition.topic, partition: partition.partition)
            let new: Int64
            switch target {
            case .earliest: new = marks.low
            case .latest: new = marks.high
            case .offset(let offset):
                guard (marks.low...marks.high).contains(offset) else {
                    throw Refused(description: "offset \(offset) is outside \(topic)[\(partition.partition)]'s offsets \(marks.low)–\(marks.high)")
                }
                new = offset
            }
            moves.append(Move(partition: partition, previous: nil, new: new, watermarks: marks))
        }
        let connection = try await PostgresConnection.open(conninfo, applicationName: "broker-poll reset-offsets")
        let planned = moves
        return try await connection.run { connection in
            try connection.transaction {
                var made: [Move] = []
                for var move in planned {
                    let previous = try connection.query(
                        """
                        SELECT next_offset FROM \(unescaped: OwnTables.kafkaOffset)
                         WHERE consumer_group = \(group) AND topic = \(move.partition.topic) AND kafka_partition = \(move.partition.partition)
                           FOR UPDATE
                        """, statement: "read the stored position")
                    move.previous = try previous.rows.first.map { try $0.decode(Int64.self) }
                    try connection.query(
                        """
                        INSERT INTO \(unescaped: OwnTables.kafkaOffset) (consumer_group, topic, kafka_partition, next_offset)
                        VALUES (\(group), \(move.partition.topic), \(move.partition.partition), \(move.new))
                        ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                        """, statement: "move the stored position")
                    try connection.query(
                        """
                        INSERT INTO \(unescaped: OwnTables.offsetReset)
                               (consumer_group, topic, kafka_partition, previous_offset, new_offset, low_watermark, high_watermark, reset_by)
                        VALUES (\(group), \(move.partition.topic), \(move.partition.partition), \(move.previous), \(move.new),
                                \(move.watermarks.low), \(move.watermarks.high), \(resetBy) || ' (database role ' || current_user || ')')
                        """, statement: "log the reset")
                    made.append(move)
                }
                return made
            }
        }
    }

    /// Who is resetting: the login user and host, and the database role.
    public static func operatorName() -> String {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid \(getuid())"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }
}
