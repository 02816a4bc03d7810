import CoreMetrics
import Foundation
import KafkaIO
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import SteeringModel

/// The consume → validate → decide → produce loop, with at-least-once offset handling.
///
/// The loop runs on a dedicated executor (blocking librdkafka polls never occupy the cooperative pool). Outputs are
/// produced asynchronously; a record's offset is stored only after the broker confirmed every one of its outputs.
/// Rebalance callbacks run on the loop's thread: revocation flushes and commits, assignment restores the state of
/// exactly the assigned partitions from the state topic before any of their records is processed.
public final class RouterService: Service, KafkaRebalanceListener, CustomStringConvertible, @unchecked Sendable {
    public var description: String { "RouterService" }

    let settings: RouterSettings
    let logger: Logger
    let statistics: RouterStatistics
    let metrics: RouterMetrics
    private let consumer: KafkaConsumerClient
    private let producer: KafkaProducerClient
    private let tracker: OffsetTracker
    private let latency: AssignmentLatency
    private let processor: RecordProcessor
    /// Up to 64 jobs of up to `recordsPerIteration` records each wait for the worker; the loop beats while it waits
    /// for it (only the loop submits and drains).
    private lazy var worker = OutputWorker(capacity: 64, whileWaiting: { [unowned self] in self.beat() })
    private let executor = DispatchQueueTaskExecutor(label: "referral-router.poll-loop")
    private let clock: @Sendable () -> Date
    private let notifier: SystemdNotifier
    private var lastWatchdog = Date.distantPast
    private let pendingConfiguration = NIOLockedValueBox<SteeringConfiguration?>(nil)
    private var paused = false
    private var assigned: Set<KafkaPartition> = []

    init(
        settings: RouterSettings,
        configuration: SteeringConfiguration,
        statistics: RouterStatistics,
        metrics: RouterMetrics,
        logger: Logger,
        clock: @escaping @Sendable () -> Date,
        notifier: SystemdNotifier = SystemdNotifier(),
        metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance,
        latencyObserver: (@Sendable (Int64) -> Void)? = nil
    ) throws {
        self.notifier = notifier
        // Fail at start, with a clear message, when the security settings cannot be satisfied.
        _ = try settings.kafka.security.librdkafkaProperties()
        self.settings = settings
        self.logger = logger
        self.statistics = statistics
        self.metrics = metrics
        self.clock = clock
        let tracker = OffsetTracker()
        self.tracker = tracker
        let latency = AssignmentLatency(
            factory: metricsFactory, transactional: settings.processing.isExactlyOnce, observer: latencyObserver)
        self.latency = latency
        let consumer = try KafkaConsumerClient(properties: Self.consumerProperties(settings), logger: logger)
        self.consumer = consumer
        // Before the producer: its record size limit follows the topics' (``outputRecordLimit``).
        if settings.kafka.autoCreateTopics {
            Self.createTopics(settings, using: consumer, logger: logger)
        }
        let limit = Self.outputRecordLimit(settings, using: consumer, logger: logger)
        self.producer = try KafkaProducerClient(
            properties: Self.producerProperties(settings, outputRecordLimit: limit), logger: logger,
            onDeliveries: { reports in
                tracker.delivered(reports)
                latency.delivered(reports)
            })
        self.processor = RecordProcessor(
            configuration: configuration, topics: settings.topics, source: "urn:referral-router:\(settings.kafka.groupId)",
            maxRecordBytes: settings.pipeline.maxRecordBytes, clock: clock)
    }

    static func commonProperties(_ settings: RouterSettings) -> [String: String] {
        // Security first, so that explicit `kafka.properties` can still override any of it.
        var properties = (try? settings.kafka.security.librdkafkaProperties()) ?? [:]
        properties.merge(settings.kafka.properties) { $1 }
        properties["bootstrap.servers"] = settings.kafka.bootstrapServers
        properties["client.id"] = properties["client.id"] ?? settings.kafka.clientId
        properties["log_level"] = properties["log_level"] ?? "4"
        // TCP_NODELAY on the client's side too (a real broker sets it on its own): with Nagle's algorithm,
        // librdkafka's default, a small request written while an earlier one on the same connection is
        // unacknowledged waits for that ACK, which a busy broker holds back. Measured in docs/performance.md.
        properties["socket.nagle.disable"] = properties["socket.nagle.disable"] ?? "true"
        return properties
    }

    /// - Parameter outputRecordLimit: the largest record batch every topic the router writes accepts
    ///   (``outputRecordLimit(_:using:logger:)``); `message.max.bytes` is lowered to it, never raised.
    static func producerProperties(_ settings: RouterSettings, outputRecordLimit: Int? = nil) -> [String: String] {
        var properties = Self.commonProperties(settings)
        if let outputRecordLimit {
            let configured = properties["message.max.bytes"].flatMap { Int($0) } ?? Self.librdkafkaMessageMaxBytes
            properties["message.max.bytes"] = String(max(1000, min(configured, outputRecordLimit)))
        }
        properties["enable.idempotence"] = "true"
        properties["acks"] = "all"
        properties["linger.ms"] = properties["linger.ms"] ?? "5"
        // Infinite: during a broker outage records wait (the loop pauses consumption) instead of failing.
        properties["message.timeout.ms"] = properties["message.timeout.ms"] ?? "0"
        if settings.processing.isExactlyOnce {
            let host = ProcessInfo.processInfo.hostName
            properties["transactional.id"] =
                settings.processing.transactionalId
                ?? "\(settings.kafka.groupId)-\(host)-\(ProcessInfo.processInfo.processIdentifier)"
            // A transaction's records may wait as long as the transaction may, and no longer (librdkafka's rule). A
            // transaction stays open through a rebalance's restore (it carries the checkpoints and the SLA events a
            // restore finds missing): past its timeout the coordinator aborts it, which librdkafka 2.0.2 treats as
            // fatal. So by default it outlasts the restore's bound by a minute.
            let transactionTimeout =
                properties["transaction.timeout.ms"] ?? String(Int((settings.processing.stateRestoreTimeoutSeconds + 60) * 1000))
            properties["transaction.timeout.ms"] = transactionTimeout
            properties["message.timeout.ms"] = transactionTimeout
        }
        return properties
    }

    /// The state topic's configuration: compacted, with segments rolled hourly and cleaned at a tenth dirty, so that
    /// the checkpoints written at most once a second (in either mode) and superseded state records are
    /// compacted away within hours; Kafka's defaults (1 GiB or 7-day segments, the active one never cleaned, half
    /// dirty) would let a restore read and hold days of them.
    static let stateTopicConfig = ["cleanup.policy": "compact", "segment.ms": "3600000", "min.cleanable.dirty.ratio": "0.1"]

    static func consumerProperties(_ settings: RouterSettings) -> [String: String] {
        var properties = Self.commonProperties(settings)
        properties.merge(settings.kafka.consumerProperties) { $1 }
        properties["group.id"] = settings.kafka.groupId
        // Range assigns the same partition numbers of co-partitioned topics to the same member.
        properties["partition.assignment.strategy"] = "range"
        properties["session.timeout.ms"] = String(settings.kafka.sessionTimeoutMs)
        // Offsets are committed once a second (asynchronously), then a checkpoint is written (see storeOffsets).
        properties["enable.auto.commit"] = "false"
        properties["isolation.level"] = properties["isolation.level"] ?? "read_committed"
        // Rebalance callbacks run inside the poll that served them and count against this interval when that poll
        // did not wait (librdkafka 2.0.2): a revocation may wait 240 s for its outputs, an assignment restore for
        // `processing.stateRestoreTimeoutSeconds`. Kafka's 300 s default would make such a member leave the group.
        properties["max.poll.interval.ms"] =
            properties["max.poll.interval.ms"] ?? String(Int((240 + settings.processing.stateRestoreTimeoutSeconds + 60) * 1000))
        return properties
    }

    var outputTopics: [String] {
        Self.outputTopics(self.settings.topics)
    }

    static func outputTopics(_ t: RouterSettings.Topics) -> [String] {
        [t.assignments, t.consultations, t.sla, t.rejections, t.deadletter]
    }

    // MARK: Start-up checks

    /// Creates the router's topics that do not exist yet (`kafka.autoCreateTopics`).
    static func createTopics(_ settings: RouterSettings, using client: KafkaConsumerClient, logger: Logger) {
        let topics = settings.topics
        let count = settings.kafka.topicPartitions
        let replication = settings.kafka.replicationFactor
        var specifications = ([topics.requests, topics.status] + Self.outputTopics(topics)).map {
            TopicSpecification(name: $0, partitions: count, replicationFactor: replication)
        }
        specifications.append(
            TopicSpecification(name: topics.state, partitions: count, replicationFactor: replication, config: Self.stateTopicConfig))
        do {
            try client.createTopics(specifications)
        } catch {
            logger.warning("Creating topics failed; they may exist already", metadata: [LoggingKeys.error: "\(error)"])
        }
    }

    /// A bound on an assignment's or consultation's record: a 4,000-character question, each character escaped in
    /// at most six bytes, and the rest. A dead letter larger than the limit loses its body; these have no such way
    /// out.
    static let largestDecisionOutput = 32 * 1024

    /// librdkafka's default `message.max.bytes`.
    static let librdkafkaMessageMaxBytes = 1_000_000
    /// Room left under a topic's `max.message.bytes` for the framing librdkafka does not count exactly when it fills a
    /// batch (its `message.max.bytes` documentation).
    static let recordBatchFraming = 512

    /// The largest record batch that every topic the router writes accepts: the smallest `max.message.bytes` among
    /// the output topics and the state topic, less ``recordBatchFraming``. `nil` when the cluster does not say.
    ///
    /// The producer's `message.max.bytes` is lowered to it. A topic that accepts less than the producer sends
    /// refuses a whole batch on delivery, and a refused output stops the router on the same input after every
    /// restart. Within the limit, librdkafka refuses a record that does not fit when it is produced, and a dead
    /// letter that does not fit is published without the original bytes (``produce(_:tokens:of:offset:)``).
    static func outputRecordLimit(_ settings: RouterSettings, using client: KafkaConsumerClient, logger: Logger) -> Int? {
        let topics = Self.outputTopics(settings.topics) + [settings.topics.state]
        let key = "max.message.bytes"
        let described: [String: [String: String]]
        do {
            let result = try client.topicConfigs(topics, keys: [key])
            described = result.values
            if !result.errors.isEmpty {
                // Not described (no DescribeConfigs permission, or not yet known to the broker that answered): the
                // limit follows the topics that were.
                logger.warning(
                    "Cannot read the max.message.bytes of some output topics; keep theirs above the producer's message.max.bytes (deploy/README.md)",
                    metadata: [
                        "topics": "\(result.errors.keys.sorted().joined(separator: ","))",
                        LoggingKeys.error: "\(result.errors.sorted { $0.key < $1.key }.first!.value)",
                    ])
            }
        } catch {
            let level: Logger.Level = error.isUnsupported ? .info : .warning
            logger.log(
                level: level,
                "Cannot read the output topics' max.message.bytes; keeping the producer's message.max.bytes (keep every output topic's max.message.bytes above it: deploy/README.md)",
                metadata: [LoggingKeys.error: "\(error)"])
            return nil
        }
        guard let smallest = Self.smallestRecordLimit(described, topics: topics) else { return nil }
        let limit = smallest.maxMessageBytes - Self.recordBatchFraming
        let configured = settings.kafka.properties["message.max.bytes"].flatMap { Int($0) } ?? Self.librdkafkaMessageMaxBytes
        if limit < Self.largestDecisionOutput {
            logger.warning(
                "An output topic's max.message.bytes is below what an assignment or consultation can need; one larger than it stops the router on its input (raise the topic's max.message.bytes)",
                metadata: [
                    LoggingKeys.kafkaTopic: "\(smallest.topic)", "maxMessageBytes": "\(smallest.maxMessageBytes)",
                    "needed": "\(Self.largestDecisionOutput)",
                ])
        }
        if limit < configured {
            logger.notice(
                "Producing records of at most the smallest output topic's max.message.bytes",
                metadata: [
                    LoggingKeys.kafkaTopic: "\(smallest.topic)", "maxMessageBytes": "\(smallest.maxMessageBytes)",
                    "messageMaxBytes": "\(max(1000, limit))",
                ])
        }
        return limit
    }

    /// The topic of `topics` whose `max.message.bytes` is the smallest in `described`, and that limit.
    static func smallestRecordLimit(_ described: [String: [String: String]], topics: [String]) -> (topic: String, maxMessageBytes: Int)? {
        topics.compactMap { topic in
            described[topic]?["max.message.bytes"].flatMap { Int($0) }.map { (topic: topic, maxMessageBytes: $0) }
        }.min { $0.maxMessageBytes < $1.maxMessageBytes }
    }

    /// Refuses to run unless requests, status and state are co-partitioned, and every output topic has the same
    /// partition count.
    func checkTopology() throws {
        let topics = self.settings.topics
        var counts: [String: Int] = [:]
        let all = [topics.requests, topics.status, topics.state] + self.outputTopics
        for topic in all {
            var count: Int?
            for attempt in 1...10 {
                do {
                    count = try self.producer.partitionCount(topic: topic)
                    break
                } catch {
                    if attempt == 10 { throw error }
                    Thread.sleep(forTimeInterval: 0.5)
                }
            }
            guard let count else {
                throw KafkaIOError(.topology, "topic \(topic) does not exist; create it (see README, Topics) or set kafka.autoCreateTopics")
            }
            counts[topic] = count
        }
        let requests = counts[topics.requests]!
        for topic in [topics.status, topics.state] where counts[topic] != requests {
            throw KafkaIOError(
                .topology,
                "\(topics.requests) has \(requests) partitions but \(topic) has \(counts[topic]!): they must be co-partitioned (same partition count, same key) so that a referral's status updates and state reach the instance that holds it; refusing to start"
            )
        }
        for topic in self.outputTopics where counts[topic] != requests {
            throw KafkaIOError(
                .topology,
                "\(topics.requests) has \(requests) partitions but output topic \(topic) has \(counts[topic]!): every output goes to its input's partition number, so that a restart can find what was already published; create all router topics with the same partition count; refusing to start"
            )
        }
    }

    // MARK: Run

    public func run() async throws {
        try self.checkTopology()
        self.producer.startPolling()
        defer { self.producer.stopPolling() }
        if self.settings.processing.isExactlyOnce {
            try self.producer.initTransactions()
            try self.producer.beginTransaction()
            self.logger.info("Exactly-once mode: outputs, state and input offsets commit in one transaction")
            if self.settings.processing.transactionalId == nil {
                // The default names the process id: a restart after a crash does not fence the crashed producer, whose
                // open transaction holds read_committed readers (and the next owner's restore) until it times out.
                self.logger.warning(
                    "processing.transactionalId is not set: the default changes with every restart; give each instance a stable one (a StatefulSet ordinal, say)")
            }
        }
        try self.consumer.subscribe([self.settings.topics.requests, self.settings.topics.status], listener: self)
        self.logger.info(
            "Consuming",
            metadata: ["topics": "\(self.settings.topics.requests),\(self.settings.topics.status)", "group": "\(self.settings.kafka.groupId)"])
        try await withTaskExecutorPreference(self.executor) {
            try await cancelWhenGracefulShutdown {
                try self.loop()
            }
        }
    }

    /// Records handled per round of the poll loop's housekeeping (offsets, timers, backpressure, watchdog).
    static let recordsPerIteration = 64

    /// The poll loop. Returns after a graceful shutdown request, having flushed and committed.
    private func loop() throws {
        var failure: (any Error)?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            self.beat()
            self.applyPendingConfiguration()
            if let error = self.restoreFailure.withLockedValue({ $0 }) ?? self.producer.fatalError {
                failure = error
                break
            }
            if let error = self.tracker.failure ?? self.worker.failure {
                // An output the broker refused, or a produce refused inside a transaction. In the default guarantee,
                // stop: the restart replays from the committed offsets. In a transaction it only makes the
                // transaction abortable: abort, rewind and go on.
                guard self.settings.processing.isExactlyOnce, let kafkaError = error as? KafkaIOError, !kafkaError.isFatal else {
                    failure = error
                    break
                }
                do {
                    try self.abortAndRewind(kafkaError)
                } catch {
                    failure = error
                    break
                }
            }
            self.freeRetired()
            self.storeOffsets()
            let inFlight = self.tracker.recordsInFlight
            self.statistics.update { $0.recordsInFlight = inFlight }
            self.applyBackpressure(inFlight: inFlight)
            do {
                try self.fireTimers()
            } catch {
                failure = error
                break
            }
            // Up to `recordsPerIteration` records are handled between two rounds of the housekeeping above; the
            // first poll waits for a record, the others take only what the client has already fetched.
            do {
                var handled = 0
                while handled < Self.recordsPerIteration {
                    let record = try self.consumer.poll(timeoutMilliseconds: handled == 0 ? self.firstPollTimeout() : 0) { error in
                        self.statistics.recordError(error.message)
                        self.logger.warning("Consumer error", metadata: [LoggingKeys.error: "\(error.message)"])
                    }
                    // A rebalance served inside that poll failed (a restore, a commit on revocation): the record
                    // may belong to a partition without its state. It is left unprocessed and uncommitted.
                    if self.halted { break }
                    handled += 1
                    do {
                        if let record {
                            try self.handle(record)
                        }
                        if self.settings.processing.isExactlyOnce {
                            try self.commitTransactionIfDue()
                        }
                    } catch let error as KafkaIOError where self.settings.processing.isExactlyOnce && !error.isFatal {
                        // A produce refused inside a transaction that must abort: abort, rewind and go on.
                        try self.abortAndRewind(error)
                        break
                    }
                    if record == nil || self.paused { break }
                }
                self.submitBatch()
            } catch {
                failure = error
                break
            }
        }
        self.statistics.update { $0.stopping = true }
        self.notifier.notify("STOPPING=1")
        if failure == nil { self.submitBatch() }
        self.worker.drain()
        failure = failure ?? self.worker.failure
        self.logger.info("Stopping: finishing records in flight", metadata: ["inFlight": "\(self.tracker.recordsInFlight)"])
        let flushed = self.producer.flush(timeoutMilliseconds: Int32(self.settings.shutdown.gracePeriodSeconds * 1000 / 2))
        if failure == nil {
            do {
                if self.settings.processing.isExactlyOnce {
                    try self.commitTransaction()
                    try self.producer.commitTransaction()
                    // Closing the consumer revokes the partitions: there is nothing left to commit then.
                    self.transactionsClosed = true
                } else {
                    self.storeOffsets(forceCommit: true)
                }
            } catch {
                failure = error
            }
            _ = self.producer.flush(timeoutMilliseconds: 5000)
        }
        if failure != nil, self.settings.processing.isExactlyOnce, !self.transactionsClosed {
            // What the open transaction holds may have been decided without a partition's state: it is aborted,
            // not committed when closing revokes the partitions; the next owner replays from the committed offsets.
            self.transactionsClosed = true
            do {
                try self.producer.abortTransaction()
            } catch {
                self.logger.warning("Abort on stopping failed", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
        self.consumer.close()
        if let failure {
            self.statistics.recordError("\(failure)")
            self.logger.critical("Pipeline stopped on an error; records not confirmed will be replayed on restart", metadata: [LoggingKeys.error: "\(failure)"])
            throw failure
        }
        self.logger.info("Stopped cleanly", metadata: ["flushed": "\(flushed)"])
    }

    /// The loop is alive: the heartbeat /healthz reads, and systemd's watchdog when it is due. The watchdog is
    /// petted by the loop itself (and by the long steps it runs: a revocation's flush, a restore), so a stuck loop
    /// gets the process restarted.
    private func beat() {
        let beat = Date()
        self.statistics.update { $0.pollLoopHeartbeat = beat }
        if let interval = self.notifier.watchdogInterval, beat.timeIntervalSince(self.lastWatchdog) >= interval {
            self.notifier.notify("WATCHDOG=1")
            self.lastWatchdog = beat
        }
    }

    /// How long the first poll of a round may wait for a record: 100 ms, but in exactly-once mode no longer than
    /// until the open transaction is due, so that the last records before a pause commit on time.
    private func firstPollTimeout() -> Int32 {
        guard self.settings.processing.isExactlyOnce else { return 100 }
        let interval = Double(self.settings.processing.transactionIntervalMs) / 1000
        let remaining = interval - Date().timeIntervalSince(self.lastTransaction)
        return Int32(min(100, max(1, (remaining * 1000).rounded(.up))))
    }

    private func handle(_ record: KafkaRecord) throws {
        // A reload requested while this record was being fetched applies to it.
        self.applyPendingConfiguration()
        let partition = KafkaPartition(topic: record.topic, partition: record.partition)
        if !self.parks.isEmpty, self.skipsParked(record) {
            return
        }
        let result = self.processor.process(record)
        if case .awaitingRequest = result.outcome {
            try self.park(partition, at: record.offset)
            return
        }
        if !self.processor.arrivedRequests.isEmpty {
            for number in self.processor.takeArrivedRequests() {
                self.unpark(number)
            }
        }
        self.processedOffsets[partition] = record.offset + 1
        // Decided; encoding and producing overlap the next records' decisions (in order, on the output worker).
        self.batch.append(DecidedRecord(result: result, partition: partition, offset: record.offset, timestamp: record.timestamp))
    }

    /// Records decided but not yet handed to the output worker (at most one round of the loop).
    private var batch: [DecidedRecord] = []

    /// Hands the decided records to the output worker as one job. Called at the end of each round of the loop and
    /// before anything that needs them produced or ordered (revocation, assignment, commits, timers, stopping).
    private func submitBatch() {
        guard !self.batch.isEmpty else { return }
        let handOff = HandOff(self.batch)
        self.batch.removeAll(keepingCapacity: true)
        self.worker.submit { [self] in
            let jobs = handOff.take()
            try self.publish(jobs)
            // What the loop allocated goes back to the loop to be freed (see `retired`).
            self.retired.withLockedValue { $0.append(consume jobs) }
        }
    }

    /// A decided record waiting for the output worker: its result and what publishing needs of the input.
    ///
    /// A struct, not a tuple: arrays of tuples are copied and destroyed through the runtime's generic tuple
    /// witnesses, member by member, while a struct's are specialised. The input's bytes are not kept (a dead
    /// letter's outputs hold them), so they are freed on the loop's thread as soon as the record is decided.
    struct DecidedRecord {
        var result: RecordProcessor.Result
        var partition: KafkaPartition
        var offset: Int64
        /// The input's timestamp (ms), for the assignment latency.
        var timestamp: Int64
    }

    /// Moves a batch into the output worker's job without the job's closure keeping a reference to it.
    private final class HandOff: @unchecked Sendable {
        private var jobs: [DecidedRecord]
        init(_ jobs: [DecidedRecord]) { self.jobs = jobs }
        func take() -> [DecidedRecord] {
            defer { self.jobs = [] }
            return self.jobs
        }
    }

    /// Batches the output worker has published, waiting for the loop to free them.
    ///
    /// Their records, decisions and requests were allocated on the loop's thread. Freed on the worker, each block
    /// went back to the loop thread's malloc arena under that arena's lock, while the loop allocated from it: the
    /// two threads spent a tenth of their time waking each other on that lock. The loop drops them once a round.
    private let retired = NIOLockedValueBox<[[DecidedRecord]]>([])

    /// Frees the batches the worker has finished with (on the loop's thread, where they were allocated).
    private func freeRetired() {
        // The empty list swapped in is allocated here too, so the worker's appends do not allocate on its side.
        var finished: [[DecidedRecord]] = []
        finished.reserveCapacity(8)
        self.retired.withLockedValue { swap(&$0, &finished) }
    }

    /// Encodes a batch of decided records, registers their outputs with the offset tracker and hands them to the
    /// producer (on the output worker).
    ///
    /// The tracker, the latency histogram and the counts are each updated once per batch, not once per record:
    /// the tracker's lock is shared with the producer's poll thread, and taken per record it was contended.
    private func publish(_ jobs: [DecidedRecord]) throws {
        // Through the buffer: `jobs[index].offset` and the like copied the whole job (a result and a partition:
        // a dozen references retained and released) for each member read.
        try jobs.withUnsafeBufferPointer { jobs in
            let outputs = jobs.map { $0.result.materialize() }
            let tokens = self.tracker.register(
                jobs.indices.map { (jobs[$0].partition, jobs[$0].offset, outputs[$0].map { $0.topic }) })
            let assignments = self.settings.topics.assignments
            var produced: [(token: UInt64, inputTimestamp: Int64)] = []
            produced.reserveCapacity(jobs.count)
            for index in jobs.indices {
                // By position: `for (output, token) in zip(…)` copied each output (five references).
                for at in outputs[index].indices where outputs[index][at].topic == assignments {
                    produced.append((tokens[index][at], jobs[index].timestamp))
                }
            }
            self.latency.produced(produced)
            var counts = BatchCounts()
            // What was produced is counted even when a later record of the batch fails.
            defer { self.count(counts) }
            for index in jobs.indices {
                try self.produce(outputs[index], tokens: tokens[index], of: jobs[index].partition, offset: jobs[index].offset)
                counts.add(jobs[index].result.outcome, outputs: outputs[index], slaTopic: self.settings.topics.sla)
            }
        }
    }

    private func produce(_ outputs: [OutputRecord], tokens: [UInt64], of input: KafkaPartition, offset: Int64) throws {
        // By position, so that each output is read in place rather than copied (five references).
        for index in outputs.indices {
            let token = tokens[index]
            do {
                try self.producer.produce(outputs, at: index, token: token)
            } catch {
                let output = outputs[index]
                guard error.isRecordTooLarge, output.topic == self.settings.topics.deadletter else { throw error }
                // An input near the broker's size limit cannot travel back with its headers: rather than stop on
                // the same record after every restart, dead-letter it with the reason and without its body.
                self.logger.error(
                    "Dead letter too large for the broker; publishing it without the original bytes",
                    metadata: [LoggingKeys.kafkaTopic: "\(input.topic)", LoggingKeys.kafkaPartition: "\(input.partition)", LoggingKeys.kafkaOffset: "\(offset)"])
                var headers = output.allHeaders.filter { $0.key.hasPrefix("__connect.errors.") || $0.key.hasPrefix("referral-router.") }
                let dropped = output.valueIsNull ? "a null value; the headers and key too large to republish" : "\(output.value.count) bytes, too large to republish"
                headers.append(KafkaHeader(key: "referral-router.original-dropped", string: dropped))
                try self.producer.produce(
                    topic: output.topic, partition: output.partition, key: output.key, value: output.valueIsNull ? nil : [],
                    headers: headers, token: token)
            }
        }
    }

    private var lastTimerCount = Date.distantPast

    /// A status partition whose backlog at assignment (up to `until`) has not been read yet; while any is held, no
    /// timer fires. A status update posted while the router was down may meet a milestone that fell due meanwhile
    /// (`ReferralTimers`: feed pending status updates before advancing the clock): fired first, the timers would
    /// publish a breach that never happened.
    private struct TimerHold {
        var until: Int64
        /// The partition's position when it last moved, and when that was (paused time does not count).
        var position: Int64 = -1
        var progressAt = ContinuousClock.now
    }

    private var timerHold: [KafkaPartition: TimerHold] = [:]
    /// How long a held partition may read nothing before the hold gives way (a status partition that cannot be
    /// read must not keep every other breach from firing); a partition that keeps reading is waited for.
    static let timerHoldLimit: Duration = .seconds(60)

    /// Whether timers must wait for a status backlog; releases the partitions that are read through or stuck.
    private func timersHeld(parked: Bool) -> Bool {
        guard !self.timerHold.isEmpty else { return parked }
        let now = ContinuousClock.now
        if self.paused || parked {
            // Consumption is paused (backpressure), or a status partition is parked (bounded by its request
            // backlog's wait): the held partitions cannot all progress, and the time does not count.
            for partition in self.timerHold.keys { self.timerHold[partition]?.progressAt = now }
            return true
        }
        let positions = self.consumer.positions(Array(self.timerHold.keys))
        for (partition, hold) in self.timerHold {
            let position = positions[partition] ?? -1
            // Read through: the position passed the last record polled (and any transaction markers after it).
            if position >= hold.until {
                self.timerHold.removeValue(forKey: partition)
                // Every update a restore expected to be read again has been.
                self.processor.forgetStatusReplays(partition: partition.partition)
            } else if position > hold.position {
                self.timerHold[partition] = TimerHold(until: hold.until, position: position, progressAt: now)
            } else if now - hold.progressAt >= Self.timerHoldLimit {
                self.logger.warning(
                    "Status backlog not read for a minute; firing timers without it",
                    metadata: [LoggingKeys.kafkaTopic: "\(partition.topic)", LoggingKeys.kafkaPartition: "\(partition.partition)"])
                self.timerHold.removeValue(forKey: partition)
            }
        }
        return !self.timerHold.isEmpty
    }

    /// A request partition whose backlog at assignment (up to `until`) has not been read through, while the output
    /// tails show assignments without state on it: a status update for such a referral, read before its request is
    /// replayed, parks its status partition (``Park``) until the request is decided, the backlog is read through, or
    /// the backlog stops moving for ``timerHoldLimit``.
    private struct RequestBacklog {
        var until: Int64
        /// The request partition's position when it last moved, and when that was (paused time does not count).
        var position: Int64 = -1
        var progressAt = ContinuousClock.now
    }

    private var requestBacklogs: [Int32: RequestBacklog] = [:]

    /// A status partition parked at an update that waits for its request: paused and sought back to it, so that
    /// nothing after it is processed or committed first. Resumed, it stays parked until the update is read again:
    /// until then timers wait, or they could fire a breach the update meets.
    private struct Park {
        var offset: Int64
        var resumed = false
        var since = ContinuousClock.now
    }

    /// By partition number (the status topic's partition).
    private var parks: [Int32: Park] = [:]

    private func park(_ partition: KafkaPartition, at offset: Int64) throws {
        // Paused first: a pause remembers the position after the last record read, a seek after it replaces that.
        self.consumer.pause([partition])
        do {
            try self.consumer.seek([partition: offset])
        } catch {
            // Not parked: nothing is left paused (the error rewinds or stops the loop).
            if !self.paused { self.consumer.resume([partition]) }
            throw error
        }
        self.parks[partition.partition] = Park(offset: offset)
        self.logger.info(
            "A status update waits for its referral's request to be replayed",
            metadata: [LoggingKeys.kafkaTopic: "\(partition.topic)", LoggingKeys.kafkaPartition: "\(partition.partition)", LoggingKeys.kafkaOffset: "\(offset)"])
    }

    /// Resumes a parked status partition at the update it was parked at.
    private func unpark(_ number: Int32) {
        guard let park = self.parks[number], !park.resumed else { return }
        self.parks[number] = Park(offset: park.offset, resumed: true)
        // Backpressure resumes it with the others.
        if !self.paused {
            self.consumer.resume([KafkaPartition(topic: self.settings.topics.status, partition: number)])
        }
    }

    /// Whether a status record is to be skipped: fetched before its partition was parked (it is fetched again). The
    /// park of a resumed partition ends when its update is read again.
    private func skipsParked(_ record: KafkaRecord) -> Bool {
        guard record.topic == self.settings.topics.status, let park = self.parks[record.partition] else { return false }
        guard park.resumed else { return true }
        if record.offset >= park.offset { self.parks.removeValue(forKey: record.partition) }
        return false
    }

    /// Ends a partition's request backlog: its status updates are no longer parked, and one without state is refused.
    private func endRequestBacklog(_ number: Int32) {
        self.unpark(number)
        self.requestBacklogs.removeValue(forKey: number)
        self.processor.requestsReadThrough(partition: number)
    }

    /// The status partitions paused by a park now.
    private var pausedByPark: [KafkaPartition] {
        self.parks.compactMap { number, park in
            park.resumed ? nil : KafkaPartition(topic: self.settings.topics.status, partition: number)
        }
    }

    /// Ends the request backlogs that are read through or stuck; returns whether a status partition is parked
    /// (timers wait for it as for a status backlog).
    private func awaitRequestBacklogs() -> Bool {
        // Every round of the loop: nothing to do, not even reading the clock, after the backlogs of a restore.
        guard !self.parks.isEmpty || !self.requestBacklogs.isEmpty else { return false }
        let now = ContinuousClock.now
        if self.paused {
            // Paused time does not count (backpressure keeps the update from being read again).
            for number in self.parks.keys { self.parks[number]?.since = now }
        }
        for (number, park) in self.parks where park.resumed && now - park.since >= Self.timerHoldLimit {
            // Resumed and not read again for a minute (a broker down): timers go on without it.
            self.logger.warning(
                "Status update not read again for a minute after its request; firing timers without it",
                metadata: [LoggingKeys.kafkaTopic: "\(self.settings.topics.status)", LoggingKeys.kafkaPartition: "\(number)"])
            self.parks.removeValue(forKey: number)
        }
        guard !self.requestBacklogs.isEmpty else { return !self.parks.isEmpty }
        if self.paused {
            for number in self.requestBacklogs.keys { self.requestBacklogs[number]?.progressAt = now }
            return !self.parks.isEmpty
        }
        let requests = self.settings.topics.requests
        let positions = self.consumer.positions(self.requestBacklogs.keys.map { KafkaPartition(topic: requests, partition: $0) })
        for (number, backlog) in self.requestBacklogs {
            let position = positions[KafkaPartition(topic: requests, partition: number)] ?? -1
            if position >= backlog.until {
                self.endRequestBacklog(number)
            } else if position > backlog.position {
                self.requestBacklogs[number]?.position = position
                self.requestBacklogs[number]?.progressAt = now
            } else if now - backlog.progressAt >= Self.timerHoldLimit {
                self.logger.warning(
                    "Request backlog not read for a minute; status updates for referrals without state are refused from now",
                    metadata: [LoggingKeys.kafkaTopic: "\(requests)", LoggingKeys.kafkaPartition: "\(number)"])
                self.endRequestBacklog(number)
            }
        }
        return !self.parks.isEmpty
    }

    /// Publishes outputs that belong to no input record (SLA events and state records of timers) through the
    /// output worker, after everything submitted before: tracked per partition as timer batches, which hold the
    /// checkpoints back until delivered.
    private func produceTimerOutputs(_ outputs: [OutputRecord]) {
        let requests = self.settings.topics.requests
        let sla = self.settings.topics.sla
        self.worker.submit { [self] in
            for (partition, batch) in Dictionary(grouping: outputs, by: { $0.partition ?? 0 }) {
                let input = KafkaPartition(topic: requests, partition: partition)
                let tokens = self.tracker.register(input, offset: nil, outputTopics: batch.map { $0.topic })
                for index in batch.indices {
                    try self.producer.produce(batch, at: index, token: tokens[index])
                }
            }
            let events = outputs.filter { $0.topic == sla }.count
            if events > 0 {
                self.metrics.slaEvents.increment(by: events)
                self.statistics.update { $0.slaEvents += events }
            }
        }
    }

    /// What `/status` and the metrics last showed of the partitions holding the timers.
    private var reportedTimerHolds: [TimerHoldingPartition] = []

    /// Shows on `/status` and as a gauge which status partitions hold every timer, when that changes: an operator
    /// who sees no warning fire can tell why.
    private func reportTimerHolds() {
        guard !self.timerHold.isEmpty || !self.parks.isEmpty || !self.reportedTimerHolds.isEmpty else { return }
        let status = self.settings.topics.status
        let holds = (self.timerHold.keys.map { TimerHoldingPartition(partition: $0, reason: .statusBacklog) }
            + self.parks.map { number, park in
                TimerHoldingPartition(
                    partition: KafkaPartition(topic: status, partition: number),
                    reason: park.resumed ? .readingUpdateAgain : .waitingForRequest)
            })
            .sorted { ($0.partition, $0.reason) < ($1.partition, $1.reason) }
        guard holds != self.reportedTimerHolds else { return }
        self.reportedTimerHolds = holds
        self.statistics.update { $0.timersHeldBy = holds }
        self.metrics.timersHeldBy.record(Set(holds.map(\.partition)).count)
    }

    /// Fires warnings and breaches that fell due (by the injected clock) and publishes them.
    private func fireTimers() throws {
        // First, and also while paused, so that paused time does not count against a held partition.
        let parked = self.awaitRequestBacklogs()
        let held = self.timersHeld(parked: parked)
        self.reportTimerHolds()
        let now = self.clock()
        if let next = self.processor.nextWakeUp, next <= now.epochMilliseconds, !self.paused, !held {
            let outputs = self.processor.tick(now: now)
            // Through the output worker, after the outputs of every record decided before.
            self.submitBatch()
            self.produceTimerOutputs(outputs)
        }
        if Date().timeIntervalSince(self.lastTimerCount) >= 2 {
            self.lastTimerCount = Date()
            let counts = Self.configuredTeams(self.processor.timerCounts(), table: self.processor.configuration.table)
            self.statistics.update { $0.timersByTeam = counts }
            self.metrics.updateTimers(counts)
        }
    }

    /// Timer counts by team for metrics and `/status`, where team ids become labels: a team the configuration does
    /// not know (removed by a reload, or a name a reassignment took before `unknown_team` existed, restored from the
    /// state topic) is counted as `unconfigured`, so no other string reaches them.
    static let unconfiguredTeam = "unconfigured"

    static func configuredTeams(_ counts: [String: TimerCounts], table: RoutingTable) -> [String: TimerCounts] {
        var folded: [String: TimerCounts] = [:]
        for (team, count) in counts {
            folded[table.team(id: team) == nil ? Self.unconfiguredTeam : team, default: TimerCounts()].add(count)
        }
        return folded
    }

    /// Hands a validated configuration to the loop, which applies it between records.
    func requestReload(_ configuration: SteeringConfiguration) {
        self.pendingConfiguration.withLockedValue { $0 = configuration }
    }

    private func applyPendingConfiguration() {
        guard let configuration = self.pendingConfiguration.withLockedValue({ pending in
            defer { pending = nil }
            return pending
        }) else { return }
        self.processor.reconfigure(configuration)
        self.statistics.update {
            $0.configurationVersion = configuration.version
        }
        self.logger.info("Configuration reloaded", metadata: ["steeringModelVersion": "\(configuration.version)"])
        let orphaned = self.processor.openCasesWithoutTeam(in: configuration.table)
        if orphaned > 0 {
            // Their timers go on and their events still name the old team; /status counts them as unconfigured.
            self.logger.warning(
                "Open cases are owned by teams the new configuration does not have; reassign them",
                metadata: ["cases": "\(orphaned)", "steeringModelVersion": "\(configuration.version)"])
            self.statistics.recordError("reload: \(orphaned) open cases are owned by teams the configuration no longer has")
        }
    }

    /// The outcomes of a batch of published records, for the metrics and the status page.
    struct BatchCounts {
        var routed = 0
        var consultations = 0
        var duplicates = 0
        var statusUpdates = 0
        var deadLettered: [String: Int] = [:]
        var slaEvents = 0

        mutating func add(_ outcome: RecordProcessor.Outcome, outputs: [OutputRecord], slaTopic: String) {
            switch outcome {
            case .routed(let consultations):
                self.routed += 1
                self.consultations += consultations
            case .duplicate:
                self.duplicates += 1
            case .statusApplied:
                self.statusUpdates += 1
            case .deadLettered(let code):
                self.deadLettered[code, default: 0] += 1
            case .awaitingRequest:
                break
            }
            self.slaEvents += outputs.count { $0.topic == slaTopic }
        }
    }

    private func count(_ counts: BatchCounts) {
        if counts.routed > 0 { self.metrics.routed.increment(by: counts.routed) }
        if counts.consultations > 0 { self.metrics.consultations.increment(by: counts.consultations) }
        if counts.duplicates > 0 { self.metrics.duplicates.increment(by: counts.duplicates) }
        if counts.statusUpdates > 0 { self.metrics.statusUpdates.increment(by: counts.statusUpdates) }
        if counts.slaEvents > 0 { self.metrics.slaEvents.increment(by: counts.slaEvents) }
        for (code, count) in counts.deadLettered {
            self.metrics.deadLettered(code: code, count: count)
        }
        self.statistics.update {
            $0.routed += counts.routed
            $0.consultations += counts.consultations
            $0.duplicates += counts.duplicates
            $0.statusUpdates += counts.statusUpdates
            $0.slaEvents += counts.slaEvents
            for (code, count) in counts.deadLettered {
                $0.deadLettered[code, default: 0] += count
            }
        }
    }

    /// Checkpoints whose offsets are stored and not yet part of a commit.
    private var pendingCheckpoints: [KafkaPartition: OffsetTracker.Checkpoint] = [:]
    /// The asynchronous commit in flight, if any, with the checkpoints it carries.
    private var committing: (token: UInt64, checkpoints: [KafkaPartition: OffsetTracker.Checkpoint])?
    private var commitTokens: UInt64 = 0
    private var lastCommit = Date.distantPast

    /// Stores the offsets whose records are done, and once a second commits them and then writes their checkpoints
    /// to the state topic. A checkpoint is written only after its offset was committed, so a restore never trusts
    /// a checkpoint ahead of the committed offset.
    ///
    /// The commit of every second is asynchronous, one at a time: a synchronous one waits for the group coordinator
    /// for as long as a broker outage lasts, and the loop (its heartbeat, the watchdog) would stop with it. A forced
    /// commit (the partitions move, or the process stops) is synchronous and takes over the checkpoints of an
    /// asynchronous one still in flight.
    private var lastStore = ContinuousClock.now

    private func storeOffsets(forceCommit: Bool = false) {
        // In exactly-once mode offsets are committed with each transaction (commitTransaction).
        guard !self.settings.processing.isExactlyOnce else { return }
        // Offsets are stored every few milliseconds rather than after every record: commits happen once a second.
        let instant = ContinuousClock.now
        guard forceCommit || instant - self.lastStore >= .milliseconds(20) else { return }
        self.lastStore = instant
        self.takeCommitResults()
        for checkpoint in self.tracker.takeCommittable() where self.assigned.contains(checkpoint.partition) {
            do {
                try self.consumer.storeOffset(checkpoint.partition, nextOffset: checkpoint.offset)
                self.pendingCheckpoints[checkpoint.partition] = checkpoint
            } catch {
                self.logger.warning("Storing an offset failed", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
        if forceCommit {
            if let committing = self.committing {
                // Its result is ignored when it comes: this commit covers its offsets (stored, they only rise).
                self.pendingCheckpoints.merge(committing.checkpoints) { pending, _ in pending }
                self.committing = nil
            }
            guard !self.pendingCheckpoints.isEmpty else { return }
            self.lastCommit = Date()
            do {
                try self.consumer.commitStored()
            } catch {
                self.logger.warning("Commit failed; will retry", metadata: [LoggingKeys.error: "\(error)"])
                return
            }
            self.writeCheckpoints(Array(self.pendingCheckpoints.values))
            self.pendingCheckpoints.removeAll()
            return
        }
        guard self.committing == nil, !self.pendingCheckpoints.isEmpty, Date().timeIntervalSince(self.lastCommit) >= 1 else {
            return
        }
        self.lastCommit = Date()
        self.commitTokens += 1
        do {
            try self.consumer.commitStoredAsync(token: self.commitTokens)
        } catch {
            self.logger.warning("Commit failed; will retry", metadata: [LoggingKeys.error: "\(error)"])
            return
        }
        self.committing = (self.commitTokens, self.pendingCheckpoints)
        self.pendingCheckpoints.removeAll()
    }

    /// Reads the result of the asynchronous commit in flight: on success its checkpoints are written (those of
    /// partitions still held, whose offset the commit reached); on failure they wait for the next commit.
    private func takeCommitResults() {
        for result in self.consumer.takeCommitResults() {
            guard let committing = self.committing, result.token == committing.token else { continue }
            self.committing = nil
            if let error = result.error {
                self.logger.warning("Commit failed; will retry", metadata: [LoggingKeys.error: "\(error)"])
                self.statistics.recordError(error.message)
                self.pendingCheckpoints.merge(committing.checkpoints) { pending, _ in pending }
                continue
            }
            var committed: [OffsetTracker.Checkpoint] = []
            for (partition, checkpoint) in committing.checkpoints where self.assigned.contains(partition) {
                // Left out of the result, the partition's offset was committed already (only its output checkpoint
                // moved, with timer batches).
                if !result.failed.contains(partition), result.offsets[partition].map({ $0 >= checkpoint.offset }) ?? true {
                    committed.append(checkpoint)
                } else if self.pendingCheckpoints[partition] == nil {
                    // This partition's own commit failed: its checkpoint waits for the next commit.
                    self.pendingCheckpoints[partition] = checkpoint
                }
            }
            self.writeCheckpoints(committed)
        }
    }

    private func writeCheckpoints(_ checkpoints: [OffsetTracker.Checkpoint]) {
        let now = self.clock()
        for checkpoint in checkpoints {
            let record = self.processor.checkpointRecord(checkpoint, now: now)
            do {
                try self.producer.produce(record, token: 0)
            } catch {
                self.logger.warning("Writing a checkpoint failed", metadata: [LoggingKeys.error: "\(error)"])
            }
        }
    }

    /// Pauses consumption while too many records await confirmation (bounded memory during broker outages), and
    /// resumes at half the bound.
    private func applyBackpressure(inFlight: Int) {
        let bound = self.settings.pipeline.maxInFlightRecords
        if !self.paused, inFlight >= bound {
            self.consumer.pause(Array(self.assigned))
            self.paused = true
            self.logger.warning("Backpressure: pausing consumption", metadata: ["inFlight": "\(inFlight)"])
        } else if self.paused, inFlight <= bound / 2 {
            self.consumer.resume(Array(self.assigned.subtracting(self.pausedByPark)))
            self.paused = false
            self.logger.info("Backpressure released: resuming consumption", metadata: ["inFlight": "\(inFlight)"])
        }
    }

    // MARK: Rebalance (called on the loop's thread, inside poll)

    public func partitionsRevoked(_ partitions: [KafkaPartition]) {
        self.logger.info("Partitions revoked", metadata: ["partitions": "\(partitions.sorted())"])
        // Every record decided so far is handed to the producer before flushing.
        self.submitBatch()
        self.worker.drain()
        if self.settings.processing.isExactlyOnce, !self.transactionsClosed {
            // Commit what was processed of these partitions before they move (librdkafka examples/transactions.c).
            do {
                try self.commitTransaction()
            } catch {
                self.statistics.recordError("commit on revocation failed: \(error)")
                self.halt(error as? KafkaIOError ?? KafkaIOError(.transaction, "commit on revocation failed: \(error)"))
            }
        }
        // librdkafka keeps the application's pause flag across reassignment: clear it while the partitions are ours.
        if self.paused {
            self.consumer.resume(partitions)
        }
        // Wait for the outputs of these partitions while the broker may be down (an outage is what usually makes a
        // session expire): up to four minutes, within max.poll.interval.ms, or half the grace period when stopping.
        let stopping = self.statistics.snapshot.stopping
        let bound: TimeInterval = stopping ? Double(self.settings.shutdown.gracePeriodSeconds) / 2 : 240
        let deadline = Date().addingTimeInterval(bound)
        var flushed = false
        while !flushed, Date() < deadline {
            flushed = self.producer.flush(timeoutMilliseconds: 1000)
            // Still alive and working: keep /healthz and the watchdog informed.
            self.beat()
        }
        if !flushed {
            // Outputs still queued would land after the next owner republished them, and stale state records would
            // win compaction: drop them and stop; the next owner replays from the committed offsets.
            self.producer.purge()
            self.halt(KafkaIOError(.produce, "outputs not confirmed before the partitions were revoked; stopping so that nothing is published twice"))
        }
        self.storeOffsets(forceCommit: true)
        // The checkpoints must reach the broker before the partitions move to another instance.
        _ = self.producer.flush(timeoutMilliseconds: 5000)
        self.letGo(partitions)
    }

    /// The assignment was lost: the session expired (a broker outage, a pause) or the member was fenced, and the
    /// group may already have given the partitions to another instance, which restores from what was committed
    /// and published. Outputs still queued here could land after its scan of the output tails (published twice),
    /// and offsets committed now could skip records it has not seen. So nothing more of them is published or
    /// committed: the records decided and not yet handed over are dropped, the producer's queue is purged (in
    /// exactly-once mode the open transaction is aborted and a new one begun), and their state is dropped. The
    /// consumer rejoins the group by itself; whoever is assigned the partitions replays them from the committed
    /// offsets, with what already landed found on the output tails.
    public func partitionsLost(_ partitions: [KafkaPartition]) {
        self.logger.error(
            "Partitions lost (the group went on without this instance): purging their unsent outputs, committing nothing",
            metadata: ["partitions": "\(partitions.sorted())"])
        self.statistics.recordError("partitions lost: \(partitions.count); unsent outputs purged, to be replayed")
        self.batch.removeAll()
        self.worker.drain()
        // The outputs lost with the partitions are replayed by their next owner: a failure among them (timed out in
        // the outage that ended the session, say) must not stop this instance or abort its next transaction.
        if self.settings.processing.isExactlyOnce, !self.transactionsClosed {
            do {
                try self.abortOpenTransaction()
            } catch {
                self.halt(error)
            }
        } else {
            self.producer.purge()
            self.forgetDroppedOutputs()
        }
        self.letGo(partitions)
    }

    /// Forgets everything held for partitions that are no longer this instance's: their offsets, checkpoints,
    /// timer holds, state and wake-ups (after a revocation's flush and commit, or a loss's purge).
    private func letGo(_ partitions: [KafkaPartition]) {
        self.tracker.forget(partitions)
        self.pendingCheckpoints = self.pendingCheckpoints.filter { !partitions.contains($0.key) }
        if let committing = self.committing {
            self.committing = (committing.token, committing.checkpoints.filter { !partitions.contains($0.key) })
        }
        // Paused, a parked status partition would stay so when assigned again (librdkafka keeps the flag).
        let parked = Set(self.pausedByPark)
        self.consumer.resume(partitions.filter { parked.contains($0) })
        for partition in partitions {
            self.processedOffsets.removeValue(forKey: partition)
            self.timerHold.removeValue(forKey: partition)
            self.requestBacklogs.removeValue(forKey: partition.partition)
            self.parks.removeValue(forKey: partition.partition)
        }
        self.processor.drop(partitions: Set(partitions.map(\.partition)))
        self.assigned.subtract(partitions)
        // librdkafka keeps the application's pause flag across reassignment: paused by backpressure and given
        // back, the partitions would stay paused when assigned again.
        if self.paused {
            self.consumer.resume(partitions)
        }
        self.paused = false
        let assigned = self.assigned
        self.statistics.update { $0.assignedPartitions = assigned.sorted() }
        // Not left to the next round of the loop: a stop revokes after the loop's last round.
        self.reportTimerHolds()
    }

    public func partitionsAssigned(_ partitions: [KafkaPartition]) {
        self.logger.info("Partitions assigned", metadata: ["partitions": "\(partitions.sorted())"])
        // The restore replaces state the output worker reads.
        self.submitBatch()
        self.worker.drain()
        self.statistics.update { $0.restoring = true }
        let numbers = Set(partitions.filter { $0.topic == self.settings.topics.requests }.map(\.partition)).sorted()
        self.restore(numbers)
        self.assigned.formUnion(partitions)
        let assigned = self.assigned
        let referrals = self.processor.referralCount
        self.statistics.update {
            $0.assignedPartitions = assigned.sorted()
            $0.restoring = false
            $0.restoredReferrals = referrals
        }
    }

    /// What a restore reads before it changes anything: read again whole when a read fails.
    private struct RestoreReading {
        var restored: [Int32: [KafkaRecord]]
        var committed: [KafkaPartition: Int64]
        var starts: [KafkaPartition: Int64]
        var tails: StateRestorer.Tails
        var marks: [KafkaPartition: (low: Int64, high: Int64)]

        /// Where reading an input partition resumes (its committed offset, or the start of what retention left) and
        /// where its backlog at the restore ends.
        func backlog(_ partition: KafkaPartition) -> (resumes: Int64, end: Int64) {
            let marks = self.marks[partition] ?? (0, 0)
            return (max(self.committed[partition] ?? -1, marks.low, 0), marks.high)
        }
    }

    private func readForRestore(_ numbers: [Int32], with restorer: StateRestorer) throws -> RestoreReading {
        let restored = try restorer.restore(partitions: numbers)
        // One request for the committed offsets of every input partition restored (checkpoints are trusted up
        // to them, the tracker is seeded with them, and a status backlog beyond them holds the timers).
        let committed = numbers.isEmpty ? [:] : try self.consumer.committed(
            numbers.flatMap { number in
                [self.settings.topics.requests, self.settings.topics.status].map { KafkaPartition(topic: $0, partition: number) }
            })
        var starts: [KafkaPartition: Int64] = [:]
        for number in numbers {
            // Each partition number's queries (watermarks, up to 5 s each on a slow broker) are bounded, not
            // short: the loop is alive meanwhile.
            self.beat()
            let checkpoints = RecordProcessor.checkpoints(in: restored[number] ?? [])
            for (topic, offset) in try self.scanStarts(partition: number, checkpoints: checkpoints, committed: committed) {
                starts[KafkaPartition(topic: topic, partition: number)] = offset
            }
        }
        // The state partitions' own tails start at the same checkpoints; they are read from the beginning anyway.
        let tails = try restorer.publishedOutputs(from: starts.filter { $0.key.topic != self.settings.topics.state })
        var marks: [KafkaPartition: (low: Int64, high: Int64)] = [:]
        for number in numbers {
            self.beat()
            for input in [self.settings.topics.requests, self.settings.topics.status] {
                let partition = KafkaPartition(topic: input, partition: number)
                marks[partition] = try self.consumer.watermarks(partition, timeoutMilliseconds: 5000)
            }
        }
        return RestoreReading(restored: restored, committed: committed, starts: starts, tails: tails, marks: marks)
    }

    /// Restores the state of partition numbers and the output ids their tails already hold.
    ///
    /// Everything is read first, then applied: a read that fails (a broker restarting, a leader moving) is tried
    /// again, up to three times within the restore's bound, before the instance gives up and stops.
    private func restore(_ numbers: [Int32]) {
        do {
            // A restore of a large state takes time, bounded by its timeout: it beats while it reads.
            let restorer = StateRestorer(
                settings: self.settings, logger: self.logger, timeout: self.settings.processing.stateRestoreTimeoutSeconds,
                progress: { [unowned self] in self.beat() })
            var attempt = 1
            var reading: RestoreReading
            while true {
                do {
                    reading = try self.readForRestore(numbers, with: restorer)
                    break
                } catch {
                    guard attempt < 3, Date().addingTimeInterval(2) < restorer.deadline else { throw error }
                    self.logger.warning(
                        "Reading the state failed; trying again", metadata: [LoggingKeys.error: "\(error)", "attempt": "\(attempt)"])
                    attempt += 1
                    for _ in 0..<10 {
                        self.beat()
                        Thread.sleep(forTimeInterval: 0.1)
                    }
                }
            }
            let stateTopic = self.settings.topics.state
            for number in numbers {
                self.processor.setPublished(
                    reading.tails.published[number] ?? [], owners: reading.tails.owners[number] ?? [:], partition: number)
                let statusPartition = KafkaPartition(topic: self.settings.topics.status, partition: number)
                let statusBacklog = reading.backlog(statusPartition)
                // No state start: neither input ever held a record, and no output tail was read to check against.
                let check = reading.starts[KafkaPartition(topic: stateTopic, partition: number)].map {
                    RecordProcessor.TailCheck(
                        stateTailStart: $0,
                        slaCompleteFrom: reading.tails.completeFrom[KafkaPartition(topic: self.settings.topics.sla, partition: number)],
                        statusReplayFrom: statusBacklog.resumes)
                }
                let republished = self.processor.restore(partition: number, records: reading.restored[number] ?? [], check: check)
                // Checkpoints start where this scan began and stay there while the previous owner's range replays.
                let outputs = reading.starts.filter { $0.key.partition == number }
                for input in [self.settings.topics.requests, self.settings.topics.status] {
                    let inputPartition = KafkaPartition(topic: input, partition: number)
                    let marks = reading.marks[inputPartition] ?? (0, 0)
                    self.tracker.seed(inputPartition, outputs: outputs, freezeUntil: marks.high, committed: reading.committed[inputPartition])
                }
                // A rewind restores again: a status partition parked before reads again from where it is sought.
                self.requestBacklogs.removeValue(forKey: number)
                if let park = self.parks.removeValue(forKey: number), !park.resumed, !self.paused {
                    self.consumer.resume([statusPartition])
                }
                let requestBacklog = reading.backlog(KafkaPartition(topic: self.settings.topics.requests, partition: number))
                if requestBacklog.resumes < requestBacklog.end, !(reading.tails.owners[number] ?? [:]).isEmpty {
                    self.requestBacklogs[number] = RequestBacklog(until: requestBacklog.end)
                    self.processor.awaitRequests(partition: number)
                }
                if statusBacklog.resumes < statusBacklog.end {
                    self.timerHold[statusPartition] = TimerHold(until: statusBacklog.end)
                } else {
                    self.timerHold.removeValue(forKey: statusPartition)
                    self.processor.forgetStatusReplays(partition: number)
                }
                if !republished.isEmpty {
                    self.logger.warning(
                        "SLA events marked fired but not on the SLA topic; publishing them again",
                        metadata: [LoggingKeys.kafkaPartition: "\(number)", "events": "\(republished.count)"])
                    // After the seed and before any input of the partition: no checkpoint passes them until they land.
                    self.produceTimerOutputs(republished)
                }
            }
        } catch {
            // Without its state a partition could assign twice; the loop stops and the process restarts.
            self.statistics.recordError("state restore failed: \(error)")
            self.logger.critical("State restore failed", metadata: [LoggingKeys.error: "\(error)"])
            self.halt(KafkaIOError(.consume, "state restore failed: \(error)"))
        }
        self.reportTimerHolds()
    }

    // MARK: Exactly-once mode

    /// Set once the stopping loop committed the last transaction.
    private var transactionsClosed = false

    /// Offsets of the next record to process, per input partition, since the last transaction commit.
    private var processedOffsets: [KafkaPartition: Int64] = [:]
    private var lastTransaction = Date()

    /// Commits the transaction when its interval has passed — on the output worker, after the outputs of every
    /// record whose offset it commits, while the loop goes on deciding the records of the next transaction (whose
    /// outputs the worker produces once the next transaction has begun). A failure surfaces as the worker's
    /// failure: the loop then aborts and rewinds.
    private func commitTransactionIfDue() throws {
        let interval = Double(self.settings.processing.transactionIntervalMs) / 1000
        guard Date().timeIntervalSince(self.lastTransaction) >= interval else { return }
        self.lastTransaction = Date()
        let assigned = self.assigned
        let offsets = self.processedOffsets.filter { assigned.contains($0.key) }
        self.processedOffsets.removeAll()
        self.submitBatch()
        self.worker.submit { [self] in
            try self.commitAndBegin(offsets, assigned: assigned)
        }
    }

    /// Sends the processed offsets, commits the transaction and begins the next one, which carries the
    /// checkpoints of what was just committed. An abortable error aborts and rewinds: state is restored from the
    /// state topic and the inputs are re-read from their committed offsets. Fatal errors are thrown (the process
    /// restarts; a fenced producer stops).
    private func commitTransaction() throws {
        self.lastTransaction = Date()
        let offsets = self.processedOffsets.filter { self.assigned.contains($0.key) }
        do {
            // The transaction carries the outputs of every record whose offset it commits.
            self.submitBatch()
            self.worker.drain()
            if let error = self.worker.failure { throw error }
            try self.commitAndBegin(offsets, assigned: self.assigned, allCheckpoints: true)
            self.processedOffsets.removeAll()
        } catch {
            guard let kafkaError = error as? KafkaIOError, !kafkaError.isFatal else {
                throw error
            }
            try self.abortAndRewind(kafkaError)
        }
    }

    /// Aborts since the last committed transaction that carried records (the output worker resets it).
    private let consecutiveAborts = NIOLockedValueBox(0)
    /// How many aborts in a row are taken for a passing problem. An output the broker refuses for good (too large
    /// for its topic, not authorised) fails again after every rewind: past this many, the instance stops, so that the
    /// problem shows as a failing service instead of a loop that only aborts.
    static let maximumConsecutiveAborts = 5

    private func abortAndRewind(_ error: KafkaIOError) throws {
        let aborts = self.consecutiveAborts.withLockedValue { count in
            count += 1
            return count
        }
        guard aborts <= Self.maximumConsecutiveAborts else {
            self.logger.critical(
                "Transactions aborted \(aborts - 1) times in a row without a commit; stopping",
                metadata: [LoggingKeys.error: "\(error)"])
            throw error
        }
        self.logger.warning("Transaction aborted; rewinding to the committed offsets", metadata: [LoggingKeys.error: "\(error)"])
        self.statistics.recordError("transaction aborted: \(error.message)")
        // Records decided since are processed again after the rewind: their outputs are not produced.
        self.batch.removeAll()
        self.worker.drain()
        // Begun again before the rewind: its restore may publish SLA events found missing, which need a transaction.
        try self.abortOpenTransaction()
        try self.rewind()
    }

    /// Aborts the open transaction (which purges what it holds), forgets its outputs, and begins the next one. The
    /// worker must be drained.
    private func abortOpenTransaction() throws(KafkaIOError) {
        _ = self.worker.takeFailure()
        try self.producer.abortTransaction()
        self.forgetDroppedOutputs()
        try self.producer.beginTransaction()
        self.lastTransaction = Date()
    }

    /// After a purge or an abort: every dropped output is reported once the reports are served (delivered, failed or
    /// purged). A failure among them is moot (the records are replayed, here or by the partitions' next owner), and
    /// so are their open latencies.
    private func forgetDroppedOutputs() {
        _ = self.producer.flush(timeoutMilliseconds: 1000)
        _ = self.tracker.takeFailure()
        self.latency.forgetOpen()
    }

    /// When checkpoints were last written in exactly-once mode (by the worker or, drained, the loop).
    private let lastTransactionCheckpoints = NIOLockedValueBox(ContinuousClock.now - .seconds(60))

    /// Runs on the output worker (or on the loop with the worker drained).
    ///
    /// - Parameter allCheckpoints: write the checkpoints now (a revocation or a stop); otherwise at most once a
    ///   second, as in the default guarantee, rather than with every transaction (ten a second per partition would
    ///   fill the state topic faster than it is compacted).
    private func commitAndBegin(_ offsets: [KafkaPartition: Int64], assigned: Set<KafkaPartition>, allCheckpoints: Bool = false) throws {
        try self.producer.sendOffsetsToTransaction(offsets, consumer: self.consumer)
        try self.producer.commitTransaction()
        if !offsets.isEmpty {
            // Records went through: the aborts before were passing. (A transaction with no record in it commits
            // between every rewind and the next failure, and proves nothing.)
            self.consecutiveAborts.withLockedValue { $0 = 0 }
        }
        self.latency.transactionCommitted()
        try self.producer.beginTransaction()
        let due = self.lastTransactionCheckpoints.withLockedValue { last in
            guard allCheckpoints || ContinuousClock.now - last >= .seconds(1) else { return false }
            last = ContinuousClock.now
            return true
        }
        // Not due: the tracker keeps what advanced, and the next checkpoints carry it.
        guard due else { return }
        let now = self.clock()
        for checkpoint in self.tracker.takeCommittable() where assigned.contains(checkpoint.partition) {
            let record = self.processor.checkpointRecord(checkpoint, now: now)
            try self.producer.produce(record, token: 0)
        }
    }

    /// After an aborted transaction: forget in-memory effects and re-read from what was committed.
    private func rewind() throws {
        let partitions = Array(self.assigned)
        self.tracker.forget(partitions)
        self.processedOffsets.removeAll()
        let numbers = Set(partitions.filter { $0.topic == self.settings.topics.requests }.map(\.partition)).sorted()
        self.processor.drop(partitions: Set(numbers))
        self.restore(numbers)
        // Without their state the partitions must not be read again: stop (the process restarts and restores).
        if self.halted, let failure = self.restoreFailure.withLockedValue({ $0 }) { throw failure }
        let committed = try self.consumer.committed(partitions)
        var positions: [KafkaPartition: Int64] = [:]
        for partition in partitions {
            let offset = committed[partition] ?? -1
            positions[partition] = offset >= 0 ? offset : KafkaConsumerClient.beginning
        }
        try self.consumer.seek(positions)
    }

    private let restoreFailure = NIOLockedValueBox<KafkaIOError?>(nil)

    /// Set on the loop's thread with ``restoreFailure`` (rebalance callbacks run inside the loop's poll): from then
    /// on no record is processed, and the loop stops at its next round.
    private var halted = false

    /// Stops processing on `error` (the first one is kept): a partition's state could not be restored, its
    /// transaction not committed, or its outputs not confirmed before it moved.
    private func halt(_ error: KafkaIOError) {
        self.halted = true
        self.restoreFailure.withLockedValue { $0 = $0 ?? error }
    }

    /// Where to start reading each output partition (and the state partition) to find what records not yet
    /// committed published: the lowest checkpoint over the partition's two inputs. An input without a checkpoint forces a scan from the start,
    /// unless it never held a record.
    private func scanStarts(
        partition: Int32,
        checkpoints: [String: (inputOffset: Int64, outputs: [String: Int64])],
        committed: [KafkaPartition: Int64]
    ) throws -> [String: Int64] {
        var starts: [String: Int64] = [:]
        for input in [self.settings.topics.requests, self.settings.topics.status] {
            let inputPartition = KafkaPartition(topic: input, partition: partition)
            var offsets: [String: Int64] = [:]
            if let checkpoint = checkpoints[input] {
                // A checkpoint ahead of the committed offset cannot be trusted (the commit it followed did not
                // land, or the broker does not commit transactional offsets): scan from the start instead.
                // Without the state partition's offset (written before 2026-12-04 while its input replayed), the
                // state tail and the output tails would start at different points: scan from the start instead.
                if committed[inputPartition] ?? -1 >= checkpoint.inputOffset, checkpoint.outputs[self.settings.topics.state] != nil {
                    offsets = checkpoint.outputs
                }
            } else {
                let high = try self.consumer.watermarks(inputPartition, timeoutMilliseconds: 5000).high
                if high == 0 { continue }
            }
            for topic in self.outputTopics + [self.settings.topics.state] {
                starts[topic] = min(starts[topic] ?? Int64.max, offsets[topic] ?? 0)
            }
        }
        return starts
    }

    /// Consumer lag of the assigned partitions and broker reachability, for `/status` and `/readyz`.
    func probe() {
        let partitions = self.statistics.snapshot.assignedPartitions
        var lag: [KafkaPartition: Int64] = [:]
        var reachable = true
        do {
            if partitions.isEmpty {
                _ = try self.producer.partitionCount(topic: self.settings.topics.requests, timeoutMilliseconds: 1000)
            } else {
                // One request to the group coordinator (which also tells whether the cluster answers); the high
                // watermarks come from the fetch responses. Asking the broker for each partition's watermarks
                // every second put dozens of requests in the way of the fetches (50 ms latency spikes).
                let committed = try self.consumer.committed(partitions, timeoutMilliseconds: 1000)
                for partition in partitions {
                    guard let high = self.consumer.cachedHighWatermark(partition) else { continue }
                    let position = committed[partition].flatMap { $0 >= 0 ? $0 : nil } ?? 0
                    lag[partition] = max(0, high - position)
                }
            }
        } catch {
            reachable = false
        }
        self.statistics.update {
            $0.brokerReachable = reachable
            if reachable { $0.lag = lag }
        }
        self.metrics.updateLag(lag, held: Set(partitions), reachable: reachable)
    }
}
