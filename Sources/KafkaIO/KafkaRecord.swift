import CRdKafka

/// A Kafka header: a name and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(key: String, string: String) {
        self.key = key
        self.value = Array(string.utf8)
    }

    public var stringValue: String? {
        self.value.map { String(decoding: $0, as: UTF8.self) }
    }
}

/// A consumed record, copied out of librdkafka's memory at the boundary.
public struct KafkaRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    /// The value's bytes; empty for a tombstone too (``isTombstone`` tells them apart).
    public var value: [UInt8]
    /// Whether the record has no value at all (null), as against an empty one.
    public var isTombstone: Bool
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, or -1 when the record has none.
    public var timestamp: Int64

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestamp: Int64 = -1,
        isTombstone: Bool = false
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.isTombstone = isTombstone
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Copies a message out of C memory. The message stays owned by the caller.
    init(copying message: UnsafePointer<rd_kafka_message_t>, topic: String) {
        let m = message.pointee
        self.topic = topic
        self.partition = m.partition
        self.offset = m.offset
        if let key = m.key {
            self.key = Array(UnsafeRawBufferPointer(start: key, count: m.key_len))
        } else {
            self.key = nil
        }
        if let payload = m.payload {
            self.value = Array(UnsafeRawBufferPointer(start: payload, count: m.len))
            self.isTombstone = false
        } else {
            self.value = []
            self.isTombstone = true
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        self.timestamp = rd_kafka_message_timestamp(message, &timestampType)
        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let key = name.map { String(cString: $0) } ?? ""
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: key, value: bytes))
                index += 1
            }
        }
        self.headers = headers
    }
}

/// A topic partition.
public struct KafkaPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(self.topic)[\(self.partition)]" }

    public static func < (lhs: KafkaPartition, rhs: KafkaPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}
