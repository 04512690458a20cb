import Kafka

/// What storing a batch needs besides its rows: its messages and dead letters apart, each
/// partition's offsets, the counts by topic and the source ids. Worked out where the batch is
/// decoded, while the connection stores the one before, so the server does not wait for these
/// walks over the whole batch inside the transaction.
struct BatchSummary: Sendable {
    typealias Item = Result<ConsumedMessage, DeadLetter>

    var messages: [ConsumedMessage] = []
    var letters: [DeadLetter] = []
    /// Each partition's lowest offset in the batch: the batch is new if none was stored yet.
    var firstOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Each partition's next offset to read after the batch.
    var nextOffsets: [KafkaTopicPartition: Int64] = [:]
    /// The counts by topic if every item is new.
    var byTopic: [String: TopicCounts] = [:]
    /// The messages' source ids, sorted, each once.
    var sourceIds: [Int64] = []

    init(_ items: [Item]) {
        messages.reserveCapacity(items.count)
        // Batches come a partition after another: one run's offsets and counts are kept in
        // locals and written out when the partition changes, not hashed in item by item.
        var runPartition: KafkaTopicPartition?
        var runFirst: Int64 = 0
        var runNext: Int64 = 0
        var run = TopicCounts()
        func closeRun() {
            guard let partition = runPartition else { return }
            firstOffsets[partition] = min(firstOffsets[partition] ?? runFirst, runFirst)
            nextOffsets[partition] = max(nextOffsets[partition] ?? runNext, runNext)
            byTopic[partition.topic, default: TopicCounts()] = byTopic[partition.topic, default: TopicCounts()] + run
        }
        for item in items {
            let (partition, offset) = Self.position(of: item)
            if partition != runPartition {
                closeRun()
                runPartition = partition
                runFirst = offset
                runNext = offset + 1
                run = TopicCounts()
            } else {
                runFirst = min(runFirst, offset)
                runNext = max(runNext, offset + 1)
            }
            switch item {
            case .success(let message):
                messages.append(message)
                run.stored += 1
            case .failure(let letter):
                letters.append(letter)
                run.deadLetters += 1
            }
        }
        closeRun()
        var ids = messages.map(\.message.diaSourceId)
        ids.sort()
        for id in ids where id != sourceIds.last { sourceIds.append(id) }
    }

    /// Where an item was read from.
    static func position(of item: Item) -> (KafkaTopicPartition, Int64) {
        switch item {
        case .success(let stored): (KafkaTopicPartition(topic: stored.topic, partition: stored.partition), stored.offset)
        case .failure(let letter): (KafkaTopicPartition(topic: letter.topic, partition: letter.partition), letter.offset)
        }
    }
}
