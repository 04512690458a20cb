import Foundation
import Kafka
import Postgres
import TestSupport
import Testing

@testable import BrokerIngest

@Suite("broker-poll's storing lanes")
struct StoringLanesTests {
    typealias Item = BatchSummary.Item

    static func partitions(of parts: [(lane: Int, batch: ClassificationStore.PreparedBatch)]) -> [Int: Set<Int32>] {
        var byLane: [Int: Set<Int32>] = [:]
        for part in parts { byLane[part.lane, default: []].formUnion(part.batch.summary.firstOffsets.keys.map(\.partition)) }
        return byLane
    }

    @Test("Partitions are spread over the lanes and keep theirs; both lanes store at once, each message once")
    func lanesKeepTheirPartitions() async throws {
        let (url, connection) = try BrokerPollTests.database()
        let lanes = try await StoringLanes.open(conninfo: url, group: "g", sessions: 2)
        let first = (0..<40).map { ClassificationStoreTests.item(partition: Int32($0 % 4), offset: Int64($0 / 4), source: Int64($0)) }
        let parts = lanes.prepare(first)
        let split = Self.partitions(of: parts)
        #expect(split.count == 2 && split.values.allSatisfy { $0.count == 2 }, "two partitions a lane: \(split)")
        #expect(parts.map { $0.batch.items.count }.reduce(0, +) == 40)
        let outcome = try await lanes.store(parts)
        #expect(outcome.messages == 40 && outcome.nextOffsets.count == 4 && outcome.nextOffsets.values.allSatisfy { $0 == 10 })
        // Later batches, partitions in another order and a new one: the old ones stay put, the
        // new one goes to a lane, and what each lane stores follows on from its offsets.
        let later: [Item] = (40..<70).map { (index: Int) -> Item in
            let partition = Int32(4 - index % 5)
            let offset = Int64(10 + (index - 40) / 5)
            return ClassificationStoreTests.item(partition: partition, offset: offset, source: Int64(index))
        }
        let again = Self.partitions(of: lanes.prepare(later))
        for (lane, held) in split { #expect(held.isSubset(of: again[lane] ?? []), "lane \(lane) keeps \(held)") }
        #expect(again.values.filter { $0.contains(4) }.count == 1)
        let second = try await lanes.store(lanes.prepare(later))
        #expect(second.messages == 30 && second.alreadyStored == 0)
        let rows = try await connection.query(
            "SELECT count(*), count(DISTINCT (topicname, streammessage_id, diasource_id)) FROM elasticc2_brokermessage", statement: "rows")
        #expect(try rows.value(0, 0, as: Int.self) == 70 && rows.value(0, 1, as: Int.self) == 70)
        let offsets = try await connection.query(
            "SELECT kafka_partition, next_offset FROM elasticcstream_kafka_offset WHERE consumer_group = 'g' ORDER BY 1", statement: "offsets")
        #expect(try (0..<offsets.rowCount).map { try offsets.value($0, 1, as: Int64.self) } == [16, 16, 16, 16, 16])
    }

    @Test("broker-poll refuses a number of storing sessions out of range")
    func storeSessionsRange() async throws {
        let result = try await TestEnvironment.execute([
            TestEnvironment.executable("broker-poll"), "--server", "127.0.0.1:1", "--topic", "t", "--group-id", "g", "--store-sessions", "0",
        ])
        #expect(result.status != 0 && result.stderr.contains("--store-sessions must be between 1 and 16"))
    }
}
