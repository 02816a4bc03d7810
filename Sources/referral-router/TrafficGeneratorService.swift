import Foundation
import KafkaIO
import Logging
import ReferralRouter
import ServiceLifecycle

/// Produces synthetic requests and status updates at a steady rate, for the demo.
final class TrafficGeneratorService: Service, CustomStringConvertible, @unchecked Sendable {
    var description: String { "TrafficGenerator" }
    private let producer: KafkaProducerClient
    private let topics: RouterSettings.Topics
    private let rate: Double
    private let logger: Logger

    init(bootstrapServers: String, topics: RouterSettings.Topics, rate: Double, logger: Logger) throws {
        self.producer = try KafkaProducerClient(
            properties: ["bootstrap.servers": bootstrapServers, "linger.ms": "5", "log_level": "3"], logger: logger,
            onDelivery: { _ in })
        self.topics = topics
        self.rate = max(0.1, rate)
        self.logger = logger
    }

    func run() async throws {
        self.producer.startPolling()
        defer {
            self.producer.flush(timeoutMilliseconds: 2000)
            self.producer.stopPolling()
        }
        var traffic = SyntheticTraffic(seed: UInt64(Date().timeIntervalSince1970))
        var sent = 0
        let interval = Duration.milliseconds(Int(1000 / self.rate))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let record = traffic.next()
            do {
                try self.producer.produce(
                    topic: record.isRequest ? self.topics.requests : self.topics.status, partition: nil, key: record.key,
                    value: record.value, headers: [KafkaHeader(key: "ce_type", string: "fi.referral.request.v1")],
                    token: 0)
                sent += 1
                if sent % 100 == 0 {
                    self.logger.info("Synthetic traffic", metadata: ["sent": "\(sent)"])
                }
            } catch {
                self.logger.warning("Generator could not produce", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
