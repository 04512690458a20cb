import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t` built from Swift values.
final class TopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [(KafkaTopicPartition, Int64)]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))
        for (topicPartition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(pointer, topicPartition.topic, topicPartition.partition)!
            element.pointee.offset = offset
        }
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    static func entries(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(KafkaTopicPartition, Int64, rd_kafka_resp_err_t)] {
        UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
            (KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition), $0.offset, $0.err)
        }
    }
}

extension KafkaStartOffset {
    var rawOffset: Int64 {
        switch self {
        case .offset(let offset): offset
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        }
    }
}
