import CRdKafka
import Logging

/// librdkafka's built-in mock Kafka cluster: the real protocol on 127.0.0.1, reachable by any
/// client in any process, with hooks to inject faults.
public final class MockCluster: Sendable {
    private let client: KafkaClientHandle
    private let pump: EventPump
    private let cluster: MockClusterPointer
    public let bootstrapServers: String
    public let brokerCount: Int

    /// Kafka protocol request types, for injecting errors into one kind of request.
    public enum RequestType: Int16, Sendable {
        case produce = 0
        case fetch = 1
        case listOffsets = 2
        case metadata = 3
        case offsetCommit = 8
        case offsetFetch = 9
        case findCoordinator = 10
        case joinGroup = 11
        case heartbeat = 12
        case syncGroup = 14
        case initProducerId = 22
    }

    public init(brokers: Int = 1, logger: Logger) throws(KafkaError) {
        let native = try NativeConfiguration(
            KafkaConfiguration(bootstrapServers: "", clientId: "elasticc-kafka-mock"), defaults: [("log.queue", "true")])
        native.enableEvents(KafkaClientHandle.logAndErrorEvents)
        client = try KafkaClientHandle(type: RD_KAFKA_PRODUCER, configuration: native, logger: logger)
        pump = EventPump(client: client, queue: KafkaQueue(rd_kafka_queue_get_main(client.pointer)!), name: "elasticc.kafka.mock-events") { _ in }
        guard let pointer = rd_kafka_mock_cluster_new(client.pointer, Int32(brokers)) else {
            pump.stop()
            throw KafkaError(RD_KAFKA_RESP_ERR__FAIL, message: "librdkafka could not start a mock cluster")
        }
        cluster = MockClusterPointer(pointer)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(pointer))
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        pump.stop()
    }

    /// Creates a topic with the given partition count (auto-created topics get librdkafka's fixed 4).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let status = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// Takes a broker (ids 1…brokerCount) off the network: its connections drop and new ones fail.
    public func setBrokerDown(_ brokerId: Int32) throws(KafkaError) {
        let status = rd_kafka_mock_broker_set_down(cluster.pointer, brokerId)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    public func setBrokerUp(_ brokerId: Int32) throws(KafkaError) {
        let status = rd_kafka_mock_broker_set_up(cluster.pointer, brokerId)
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// Delays every response of a broker.
    public func setBrokerRoundTripTime(_ brokerId: Int32, milliseconds: Int) throws(KafkaError) {
        let status = rd_kafka_mock_broker_set_rtt(cluster.pointer, brokerId, Int32(milliseconds))
        guard status == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(status) }
    }

    /// Makes the next requests of one type fail, in order, with the given Kafka error codes
    /// (for example 7 `REQUEST_TIMED_OUT`, 6 `NOT_LEADER_OR_FOLLOWER`, 29 `TOPIC_AUTHORIZATION_FAILED`).
    public func pushRequestErrors(_ request: RequestType, errorCodes: [Int32]) {
        var codes = errorCodes.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster.pointer, request.rawValue, codes.count, &codes)
    }

    public func clearRequestErrors(_ request: RequestType) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, request.rawValue)
    }
}

/// `@unchecked Sendable`: the mock cluster runs on its own thread and its API is thread-safe.
private final class MockClusterPointer: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
