import Kafka
import Postgres
import Synchronization

/// A broker's batches stored on several sessions at once, each partition always on the same
/// one. One backend's COPY was the whole limit of broker-poll on a backlog: two COPYs into the
/// same table run side by side at about 1.6 times one (measured on this machine's two cores).
///
/// Exactly once still holds: a lane's transaction carries the rows and the stored offsets of
/// its partitions only, and a partition never changes lane while the process runs, so one
/// partition's batches commit in order. (Across processes the offset rows' locks order them,
/// as before.) The lanes share the source-id session.
final class StoringLanes: Sendable {
    typealias Item = BatchSummary.Item

    let lanes: [ClassificationStore]
    /// Each partition's lane, chosen when it is first seen: the lane holding fewest partitions.
    private let laneOfPartition = Mutex<[KafkaTopicPartition: Int]>([:])

    init(lanes: [ClassificationStore]) {
        precondition(!lanes.isEmpty, "at least one storing session")
        self.lanes = lanes
    }

    static func open(conninfo: String, group: String, sessions: Int) async throws -> StoringLanes {
        let sourceIds = try await SourceIdWriter.open(conninfo: conninfo)
        let lanes = try await withThrowingTaskGroup(of: (Int, ClassificationStore).self) { opening in
            for lane in 0..<max(sessions, 1) {
                opening.addTask { (lane, try await ClassificationStore.open(conninfo: conninfo, group: group, sourceIds: sourceIds)) }
            }
            var opened: [(Int, ClassificationStore)] = []
            for try await store in opening { opened.append(store) }
            return opened.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return StoringLanes(lanes: lanes)
    }

    /// For what any session can do: reading and forgetting stored offsets.
    var any: ClassificationStore { lanes[0] }

    /// A polled batch split by lane (in order within each), each part summed up and its rows
    /// built; lanes with nothing to store are left out.
    func prepare(_ items: [Item]) -> [(lane: Int, batch: ClassificationStore.PreparedBatch)] {
        guard lanes.count > 1 else { return items.isEmpty ? [] : [(0, lanes[0].prepare(items))] }
        var parts = Array(repeating: [Item](), count: lanes.count)
        laneOfPartition.withLock { chosen in
            // Items come a partition after another: one look-up a run, not one an item.
            var runPartition: KafkaTopicPartition?
            var runLane = 0
            for item in items {
                let (partition, _) = BatchSummary.position(of: item)
                if partition != runPartition {
                    runPartition = partition
                    if let lane = chosen[partition] {
                        runLane = lane
                    } else {
                        var held = Array(repeating: 0, count: lanes.count)
                        for lane in chosen.values { held[lane] += 1 }
                        runLane = held.indices.min { held[$0] < held[$1] } ?? 0
                        chosen[partition] = runLane
                    }
                }
                parts[runLane].append(item)
            }
        }
        return parts.indices.compactMap { lane in parts[lane].isEmpty ? nil : (lane, lanes[lane].prepare(parts[lane])) }
    }

    /// Stores every lane's part at once and adds up what they did. Should one fail, the others
    /// are cancelled (rolled back unless already committed); every part is read again from the
    /// offsets stored with it.
    func store(_ parts: [(lane: Int, batch: ClassificationStore.PreparedBatch)]) async throws -> ClassificationStore.Outcome {
        if parts.count == 1, let only = parts.first { return try await lanes[only.lane].storeCancellably(only.batch) }
        return try await withThrowingTaskGroup(of: ClassificationStore.Outcome.self) { group in
            for part in parts {
                let lane = lanes[part.lane]
                group.addTask { try await lane.storeCancellably(part.batch) }
            }
            var total = ClassificationStore.Outcome()
            for try await outcome in group { total.add(outcome) }
            return total
        }
    }
}
