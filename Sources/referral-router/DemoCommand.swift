import ArgumentParser
import Foundation
import KafkaIO
import Logging
import ReferralRouter
import ServiceLifecycle
import UnixSignals

/// `referral-router demo`: an embedded Kafka-protocol broker, the daemon on the sample configuration, a generator of
/// synthetic requests, and the status endpoint. Ctrl-C stops it cleanly.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the router on an embedded broker with synthetic traffic and a status page."
    )

    @Option(name: .long, help: "Synthetic requests per second.")
    var rate: Double = 20

    @Option(name: .long, help: "HTTP port of the status endpoint.")
    var port: Int = 8080

    @Option(name: .long, help: "Partitions per topic.")
    var partitions: Int = 6

    @Option(name: .long, help: "The steering configuration directory (default: config/steering).")
    var steering: String?

    func run() async throws {
        var settings = RouterSettings()
        settings.logging.format = "text"
        let logging = settings.logging
        LoggingSystem.bootstrap { label in
            LogSetup.makeHandler(label: label, level: logging.level, format: logging.format)
        }
        let logger = Logger(label: "referral-router.demo")
        let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
        settings.useEmbeddedBroker(cluster.bootstrapServers, fetchWaitMilliseconds: KafkaMockCluster.fetchWaitMilliseconds)
        settings.kafka.sessionTimeoutMs = 6000
        settings.http.port = self.port
        settings.steering.directory = self.steering
        try DevBroker.createTopics(cluster, settings: settings, partitions: self.partitions)
        print(
            """
            referral-router demo
              embedded Kafka-protocol broker (librdkafka mock cluster): \(cluster.bootstrapServers)
                e.g. kcat -b \(cluster.bootstrapServers) -C -t \(settings.topics.assignments) -o beginning
              status:  http://\(settings.http.host):\(self.port)/status   (also /healthz, /readyz, /metrics)
              traffic: \(self.rate) synthetic requests per second (some invalid, some repeated, with status updates)
              Ctrl-C stops.
            """)
        let generator = try TrafficGeneratorService(
            bootstrapServers: cluster.bootstrapServers, topics: settings.topics, rate: self.rate, logger: logger)
        try await Daemon.run(settings: settings, extraServices: [generator], bootstrapLogging: false)
        withExtendedLifetime(cluster) {}
    }
}

/// `referral-router dev-broker`: hosts the embedded broker in a process of its own, for local routers and kcat.
struct DevBrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-broker",
        abstract: "Host an embedded Kafka-protocol broker (librdkafka's mock cluster) and print its bootstrap address."
    )

    @Option(name: .long, help: "Number of brokers.")
    var brokers: Int = 1

    @Option(name: .long, help: "Partitions per topic.")
    var partitions: Int = 6

    @Flag(name: .long, help: "Do not create the router's topics.")
    var noTopics = false

    func run() async throws {
        let logger = Logger(label: "referral-router.dev-broker")
        let cluster = try KafkaMockCluster(brokers: self.brokers, logger: logger)
        if !self.noTopics {
            try DevBroker.createTopics(cluster, settings: RouterSettings(), partitions: self.partitions)
        }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        // Serve until SIGTERM or SIGINT.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: IdleService())], gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [], logger: logger))
        try await group.run()
        withExtendedLifetime(cluster) {}
    }
}

/// Waits for a graceful shutdown request.
struct IdleService: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}

enum DevBroker {
    static func createTopics(_ cluster: KafkaMockCluster, settings: RouterSettings, partitions: Int) throws {
        let t = settings.topics
        for topic in [t.requests, t.status, t.assignments, t.consultations, t.sla, t.rejections, t.deadletter, t.state] {
            try cluster.createTopic(topic, partitions: partitions)
        }
    }
}
