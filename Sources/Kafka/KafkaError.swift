import CRdKafka

/// An error from librdkafka or from this wrapper, with librdkafka's error code kept.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative for client-side errors).
    public var code: Int32
    /// librdkafka's symbolic name for the code, such as `_MSG_TIMED_OUT` or `UNKNOWN_TOPIC_OR_PART`.
    public var name: String
    public var message: String
    public var isFatal: Bool

    public init(code: Int32, message: String, isFatal: Bool = false) {
        self.code = code
        self.name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
        self.message = message
        self.isFatal = isFatal
    }

    init(_ code: rd_kafka_resp_err_t, message: String? = nil, isFatal: Bool = false) {
        self.init(code: code.rawValue, message: message ?? String(cString: rd_kafka_err2str(code)), isFatal: isFatal)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code: rd_kafka_error_code(error).rawValue,
            message: String(cString: rd_kafka_error_string(error)),
            isFatal: rd_kafka_error_is_fatal(error) != 0)
    }

    public static func configuration(_ message: String) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: message)
    }

    public static let timedOutCode = RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
    public static let messageTimedOutCode = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue

    public var description: String { "Kafka error \(name) (\(code)): \(message)" }
}
