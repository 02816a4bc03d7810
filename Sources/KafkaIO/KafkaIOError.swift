import CRdKafka

/// An error at the Kafka boundary, with the flags librdkafka gives it.
///
/// Equality compares the code only, so callers can match on kinds of error.
public struct KafkaIOError: Error, Sendable, CustomStringConvertible, Hashable {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Kind: Sendable, Hashable {
            case configuration
            case client
            case produce
            case consume
            case admin
            case topology
            case timeout
            case transaction
        }

        fileprivate let kind: Kind

        public static let configuration = Code(kind: .configuration)
        public static let client = Code(kind: .client)
        public static let produce = Code(kind: .produce)
        public static let consume = Code(kind: .consume)
        public static let admin = Code(kind: .admin)
        /// Topics are missing or not co-partitioned.
        public static let topology = Code(kind: .topology)
        public static let timeout = Code(kind: .timeout)
        public static let transaction = Code(kind: .transaction)

        public var description: String { "\(self.kind)" }
    }

    public let code: Code
    public let message: String
    /// librdkafka's error code, when there is one.
    public let kafkaError: Int32?
    public let isFatal: Bool
    public let isRetriable: Bool
    /// A transactional error after which the transaction must be aborted (and the input rewound).
    public let requiresAbort: Bool
    public let file: String
    public let line: UInt

    public init(
        _ code: Code,
        _ message: String,
        kafkaError: Int32? = nil,
        isFatal: Bool = false,
        isRetriable: Bool = false,
        requiresAbort: Bool = false,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.kafkaError = kafkaError
        self.isFatal = isFatal
        self.isRetriable = isRetriable
        self.requiresAbort = requiresAbort
        self.file = file
        self.line = line
    }

    static func from(_ error: rd_kafka_resp_err_t, _ code: Code, _ context: String, file: String = #fileID, line: UInt = #line)
        -> KafkaIOError
    {
        let name = String(cString: rd_kafka_err2name(error))
        let text = String(cString: rd_kafka_err2str(error))
        return KafkaIOError(
            code, "\(context): \(name) (\(text))", kafkaError: error.rawValue,
            isFatal: error == RD_KAFKA_RESP_ERR__FATAL, isRetriable: Self.retriable(error), file: file, line: line)
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    static func from(owned error: OpaquePointer, _ code: Code, _ context: String, file: String = #fileID, line: UInt = #line)
        -> KafkaIOError
    {
        defer { rd_kafka_error_destroy(error) }
        return KafkaIOError(
            code, "\(context): \(String(cString: rd_kafka_error_string(error)))",
            kafkaError: rd_kafka_error_code(error).rawValue, isFatal: rd_kafka_error_is_fatal(error) != 0,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0, file: file, line: line)
    }

    static func retriable(_ error: rd_kafka_resp_err_t) -> Bool {
        switch error {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
            RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
            true
        default:
            false
        }
    }

    /// The broker does not implement the request (librdkafka's mock cluster answers no admin requests).
    public var isUnsupported: Bool {
        self.kafkaError == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE.rawValue
            || self.kafkaError == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION.rawValue
    }

    /// The record is larger than the producer or broker accepts.
    public var isRecordTooLarge: Bool {
        self.kafkaError == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
    }

    /// The record was purged on purpose (an aborted transaction, a purge before exit), not lost to a failure.
    public var isPurged: Bool {
        self.kafkaError == RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue || self.kafkaError == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue
    }

    public var description: String {
        "\(self.code): \(self.message)\(self.isFatal ? " [fatal]" : "")\(self.isRetriable ? " [retriable]" : "")\(self.requiresAbort ? " [abortable]" : "")"
    }

    public static func == (lhs: KafkaIOError, rhs: KafkaIOError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
    }
}
