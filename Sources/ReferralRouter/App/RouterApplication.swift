import Foundation
import Hummingbird
import KafkaIO
import Logging
import Prometheus
import ServiceLifecycle
import SteeringModel
import UnixSignals

/// Builds the whole service: the routing pipeline, the probe and the HTTP server, in one `ServiceGroup`.
///
/// The daemon, the demo and the integration tests build it the same way.
public struct RouterApplication: Sendable {
    public static let version = "0.1.0"

    public let settings: RouterSettings
    public let configuration: SteeringConfiguration
    public let registry: PrometheusCollectorRegistry
    let statistics: RouterStatistics
    let router: RouterService
    let logger: Logger
    let notifier: SystemdNotifier
    let bearerToken: String?

    /// - Parameters:
    ///   - clock: the wall clock; tests inject their own.
    ///   - assignmentLatencyObserver: receives each assignment's end-to-end latency in microseconds (input
    ///     timestamp to delivery, or to its transaction's commit in exactly-once mode); the benchmark uses it.
    public init(
        settings: RouterSettings,
        configuration: SteeringConfiguration,
        logger: Logger,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        clock: @escaping @Sendable () -> Date = { Date() },
        notifier: SystemdNotifier = SystemdNotifier(),
        assignmentLatencyObserver: (@Sendable (Int64) -> Void)? = nil
    ) throws {
        self.settings = settings
        self.notifier = notifier
        self.bearerToken = try settings.http.resolvedBearerToken()
        self.configuration = configuration
        self.logger = logger
        self.registry = registry
        self.statistics = RouterStatistics(configurationVersion: configuration.version)
        let factory = PrometheusMetricsFactory(registry: registry)
        let metrics = RouterMetrics(factory: factory)
        self.router = try RouterService(
            settings: settings, configuration: configuration, statistics: self.statistics, metrics: metrics,
            logger: logger, clock: clock, notifier: notifier, metricsFactory: factory,
            latencyObserver: assignmentLatencyObserver)
    }

    /// The HTTP application (a `Service` itself).
    public func makeHTTPApplication() -> some ApplicationProtocol {
        let router = StatusEndpoints.makeRouter(
            statistics: self.statistics, registry: self.registry, version: Self.version,
            bearerToken: self.bearerToken)
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(self.settings.http.host, port: self.settings.http.port), serverName: "referral-router"),
            logger: self.logger
        )
    }

    /// The services in dependency order; shutdown runs in reverse.
    public func makeServiceGroup(extraServices: [any Service] = []) -> ServiceGroup {
        let services: [any Service] =
            [self.makeHTTPApplication(), ProbeService(router: self.router, notifier: self.notifier), self.router, ReloadService(application: self)]
            + extraServices
        return ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: self.logger
            ).withMaximumGracefulShutdownDuration(.seconds(self.settings.shutdown.gracePeriodSeconds))
        )
    }

    /// The status document, as `/status` serves it.
    public func statusJSON() -> [UInt8] {
        StatusEndpoints.status(self.statistics.snapshot, version: Self.version, ready: self.statistics.isReady())
    }

    public var isReady: Bool { self.statistics.isReady() }

    /// Whether systemd has been told that start-up finished (`READY=1`); reloads say so only after it.
    public var startUpAnnounced: Bool { self.statistics.snapshot.announcedReady }

    /// Seconds since the poll loop last beat (`/healthz` fails past 10), or `nil` before its first beat.
    public var pollLoopHeartbeatAge: TimeInterval? {
        self.statistics.snapshot.pollLoopHeartbeat.map { Date().timeIntervalSince($0) }
    }

    /// Loads and validates the steering configuration again (SIGHUP). A valid one replaces the current one between
    /// records; an invalid one is rejected, logged and shown on `/status`, and the current one stays.
    ///
    /// - Returns: the new configuration version, or the error.
    @discardableResult
    public func reload(directory: String? = nil) -> Result<String, ConfigurationError> {
        // Before start-up has finished, READY=1 would tell systemd (Type=notify) that it has: the reload says
        // nothing then.
        let announced = self.statistics.snapshot.announcedReady
        if announced { self.notifier.reloading() }
        defer { if announced { self.notifier.notify("READY=1") } }
        let directory = directory ?? self.configuration.directory
        do {
            let configuration = try SteeringConfiguration.load(directory: directory)
            self.router.requestReload(configuration)
            // Cleared here, in the order the reloads came: the loop applies the configuration later, and must not
            // clear the error of an invalid reload that came after this one.
            self.statistics.update {
                $0.lastReloadError = nil
                $0.lastReloadAt = Date()
            }
            self.logger.info("Configuration reload accepted", metadata: ["steeringModelVersion": "\(configuration.version)"])
            return .success(configuration.version)
        } catch {
            self.statistics.update {
                $0.lastReloadError = error.description
                $0.lastReloadAt = Date()
            }
            self.logger.error("Configuration reload rejected; the current configuration stays", metadata: ["problems": "\(error.problems.count)", "error": "\(error.description)"])
            return .failure(error)
        }
    }

    /// The configuration version decisions currently name.
    public var configurationVersion: String {
        self.statistics.snapshot.configurationVersion
    }

    /// Input records finished so far (routed, duplicates, status updates and dead letters).
    /// The Prometheus exposition, as `/metrics` serves it.
    public func metricsText() -> String {
        var buffer: [UInt8] = []
        self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Requests routed so far (each published one assignment).
    public var routedRecords: Int {
        self.statistics.snapshot.routed
    }

    public var processedRecords: Int {
        let snapshot = self.statistics.snapshot
        return snapshot.routed + snapshot.duplicates + snapshot.statusUpdates + snapshot.deadLettered.values.reduce(0, +)
    }

    /// Dead letters so far by error code.
    public var deadLettered: [String: Int] {
        self.statistics.snapshot.deadLettered
    }
}

extension ServiceGroupConfiguration {
    fileprivate func withMaximumGracefulShutdownDuration(_ duration: Duration) -> Self {
        var copy = self
        copy.maximumGracefulShutdownDuration = duration
        return copy
    }
}

/// Makes the logging system's handler from settings.
public enum LogSetup {
    public static func makeHandler(label: String, level: String, format: String) -> any LogHandler {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        if format == "text" {
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        return JSONLogHandler(label: label, level: logLevel)
    }
}
