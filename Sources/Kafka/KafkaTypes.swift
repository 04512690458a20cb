/// A message to produce.
public struct KafkaOutgoingMessage: Sendable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch; nil lets librdkafka stamp the send time.
    public var timestamp: Int64?
    /// Nil lets the partitioner choose by key.
    public var partition: Int32?

    public init(topic: String, key: [UInt8]? = nil, value: [UInt8]?, headers: [KafkaHeader] = [], timestamp: Int64? = nil, partition: Int32? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.partition = partition
    }
}

public struct KafkaHeader: Sendable, Hashable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }
}

public enum KafkaTimestampType: Sendable, Hashable {
    case notAvailable, createTime, logAppendTime
}

/// A consumed message, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    /// Nil for a tombstone.
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch.
    public var timestamp: Int64?
    public var timestampType: KafkaTimestampType
}

/// Where a produced message landed.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// An offset for a partition: the next offset to read, as Kafka commits it.
public struct KafkaTopicPartitionOffset: Sendable, Hashable {
    public var topicPartition: KafkaTopicPartition
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        topicPartition = KafkaTopicPartition(topic: topic, partition: partition)
        self.offset = offset
    }
}

public enum KafkaRebalance: Sendable {
    case assigned([KafkaTopicPartition])
    case revoked([KafkaTopicPartition])
}

/// Where a newly assigned partition should start.
public enum KafkaStartOffset: Sendable, Hashable {
    case offset(Int64)
    case beginning
    case end
}

public struct KafkaTopicMetadata: Sendable, Hashable {
    public var name: String
    public var partitionCount: Int
}

extension [KafkaTopicMetadata] {
    /// Every partition of `topics` that this metadata lists (a topic it does not list has none):
    /// what a consumer that takes its partitions itself assigns.
    public func partitions(of topics: [String]) -> Set<KafkaTopicPartition> {
        let counts = Dictionary(map { ($0.name, $0.partitionCount) }, uniquingKeysWith: Swift.max)
        return Set(topics.flatMap { topic in (0..<(counts[topic] ?? 0)).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) } })
    }
}

public struct KafkaWatermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64

    public init(low: Int64, high: Int64) {
        self.low = low
        self.high = high
    }
}
