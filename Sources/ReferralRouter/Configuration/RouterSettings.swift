import Foundation
import Yams

/// The daemon's settings: Kafka, topics, HTTP, logging, shutdown and pipeline bounds.
///
/// Read from a YAML file (`config/router.yaml`), then overridden by environment variables
/// (`REFERRAL_ROUTER_<SECTION>_<KEY>` e.g. `REFERRAL_ROUTER_KAFKA_BOOTSTRAPSERVERS`), then by command-line options.
/// Every key has a default, so an empty file is valid.
///
/// ## Configuration keys
/// - `kafka.bootstrapServers` (default `localhost:9092`), `kafka.groupId` (`referral-router`),
///   `kafka.clientId` (`referral-router`), `kafka.autoCreateTopics` (`false`), `kafka.topicPartitions` (`6`, for
///   auto-creation), `kafka.replicationFactor` (`-1`: the broker default), `kafka.sessionTimeoutMs` (`10000`),
///   `kafka.properties` (any librdkafka property, passed through), `kafka.consumerProperties` (the consumer's only).
/// - `topics.requests`, `topics.status`, `topics.assignments`, `topics.consultations`, `topics.sla`,
///   `topics.rejections`, `topics.deadletter`, `topics.state`.
/// - `http.host` (`127.0.0.1`), `http.port` (`8080`).
/// - `steering.directory` (`config/steering`).
/// - `logging.level` (`info`), `logging.format` (`json` or `text`).
/// - `shutdown.gracePeriodSeconds` (`20`).
/// - `pipeline.maxInFlightRecords` (`5000`), `pipeline.maxRecordBytes` (`65536`).
public struct RouterSettings: Sendable, Codable, Equatable {
    public struct Kafka: Sendable, Codable, Equatable {
        public var bootstrapServers: String = "localhost:9092"
        public var groupId: String = "referral-router"
        public var clientId: String = "referral-router"
        public var autoCreateTopics: Bool = false
        public var topicPartitions: Int = 6
        public var replicationFactor: Int = -1
        public var sessionTimeoutMs: Int = 10_000
        public var properties: [String: String] = [:]
        /// librdkafka properties for the consumer only (e.g. `fetch.wait.max.ms`), over `properties`.
        public var consumerProperties: [String: String] = [:]
        public var security = Security()

        public init() {}
    }

    /// TLS and SASL towards the brokers. Secrets come from files or the environment and are never logged.
    public struct Security: Sendable, Codable, Equatable {
        /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
        public var protocolName: String = "plaintext"
        /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
        public var saslMechanism: String? = nil
        public var saslUsername: String? = nil
        /// A file holding the SASL password (a mounted secret); or REFERRAL_ROUTER_KAFKA_SASLPASSWORD.
        public var saslPasswordFile: String? = nil
        public var caFile: String? = nil
        public var certificateFile: String? = nil
        public var keyFile: String? = nil

        enum CodingKeys: String, CodingKey {
            case protocolName = "protocol"
            case saslMechanism, saslUsername, saslPasswordFile, caFile, certificateFile, keyFile
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.protocolName = try c.decodeIfPresent(String.self, forKey: .protocolName) ?? "plaintext"
            self.saslMechanism = try c.decodeIfPresent(String.self, forKey: .saslMechanism)
            self.saslUsername = try c.decodeIfPresent(String.self, forKey: .saslUsername)
            self.saslPasswordFile = try c.decodeIfPresent(String.self, forKey: .saslPasswordFile)
            self.caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
            self.certificateFile = try c.decodeIfPresent(String.self, forKey: .certificateFile)
            self.keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
            guard ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"].contains(self.protocolName) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .protocolName, in: c, debugDescription: "kafka.security.protocol is plaintext, ssl, sasl_plaintext or sasl_ssl")
            }
        }

        /// The librdkafka properties for these settings; the password is read from its file or the environment.
        public func librdkafkaProperties(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
            var properties: [String: String] = ["security.protocol": self.protocolName]
            if let mechanism = self.saslMechanism { properties["sasl.mechanisms"] = mechanism }
            if let username = self.saslUsername { properties["sasl.username"] = username }
            if let file = self.saslPasswordFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw SettingsError("cannot read kafka.security.saslPasswordFile")
                }
                properties["sasl.password"] = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            } else if let password = environment["REFERRAL_ROUTER_KAFKA_SASLPASSWORD"] {
                properties["sasl.password"] = password
            }
            if self.protocolName.hasPrefix("sasl"), properties["sasl.password"] == nil || self.saslMechanism == nil {
                throw SettingsError("SASL needs kafka.security.saslMechanism and a password (saslPasswordFile or REFERRAL_ROUTER_KAFKA_SASLPASSWORD)")
            }
            if let file = self.caFile { properties["ssl.ca.location"] = file }
            if let file = self.certificateFile { properties["ssl.certificate.location"] = file }
            if let file = self.keyFile { properties["ssl.key.location"] = file }
            return properties
        }
    }

    public struct Topics: Sendable, Codable, Equatable {
        public var requests = "referrals.requests"
        public var status = "referrals.status"
        public var assignments = "referrals.assignments"
        public var consultations = "referrals.consultations"
        public var sla = "referrals.sla"
        public var rejections = "referrals.rejections"
        public var deadletter = "referrals.deadletter"
        public var state = "referral-router.state"

        public init() {}

        /// The same topics with `prefix` and a dot in front of every name (separate runs on one cluster).
        public func prefixed(_ prefix: String) -> Topics {
            var topics = self
            for name in [\Topics.requests, \.status, \.assignments, \.consultations, \.sla, \.rejections, \.deadletter, \.state] {
                topics[keyPath: name] = "\(prefix).\(self[keyPath: name])"
            }
            return topics
        }
    }

    public struct HTTP: Sendable, Codable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// When set, every endpoint but the probes requires `Authorization: Bearer <token>`.
        public var bearerToken: String? = nil
        /// A file holding the token (a mounted secret), read at start.
        public var bearerTokenFile: String? = nil

        public init() {}

        /// The token from the file or the setting, if either is given.
        public func resolvedBearerToken() throws -> String? {
            let token: String?
            if let file = self.bearerTokenFile {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw SettingsError("cannot read http.bearerTokenFile")
                }
                token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            } else {
                token = self.bearerToken
            }
            // An empty token would lock every client out (or, through a proxy that keeps "Bearer ", let any in).
            if let token, token.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw SettingsError(self.bearerTokenFile != nil ? "http.bearerTokenFile is empty" : "http.bearerToken is empty")
            }
            return token
        }
    }

    public struct Steering: Sendable, Codable, Equatable {
        public var directory: String? = nil

        public init() {}
    }

    public struct Logging: Sendable, Codable, Equatable {
        public var level = "info"
        public var format = "json"

        public init() {}
    }

    public struct Shutdown: Sendable, Codable, Equatable {
        public var gracePeriodSeconds = 20

        public init() {}
    }

    /// `processing.guarantee`: `at_least_once` (default; effectively once by output ids and checkpoints) or
    /// `exactly_once` (Kafka transactions: outputs, state and input offsets commit together; needs a real cluster
    /// for its semantics).
    public struct Processing: Sendable, Codable, Equatable {
        public var guarantee = "at_least_once"
        public var transactionIntervalMs = 100
        /// Unique per instance; defaults to `<groupId>-<host>-<pid>`.
        public var transactionalId: String? = nil
        /// How long reading a partition's state and output tails may take when it is assigned, before the
        /// instance gives up and stops (it processes nothing of a partition whose state it could not read).
        public var stateRestoreTimeoutSeconds: Double = 120

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.guarantee = try c.decodeIfPresent(String.self, forKey: .guarantee) ?? "at_least_once"
            self.transactionIntervalMs = try c.decodeIfPresent(Int.self, forKey: .transactionIntervalMs) ?? 100
            self.transactionalId = try c.decodeIfPresent(String.self, forKey: .transactionalId)
            self.stateRestoreTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .stateRestoreTimeoutSeconds) ?? 120
            guard ["at_least_once", "exactly_once"].contains(self.guarantee) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .guarantee, in: c, debugDescription: "processing.guarantee is at_least_once or exactly_once")
            }
            guard self.stateRestoreTimeoutSeconds > 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .stateRestoreTimeoutSeconds, in: c,
                    debugDescription: "processing.stateRestoreTimeoutSeconds is a number of seconds above 0")
            }
        }

        public var isExactlyOnce: Bool { self.guarantee == "exactly_once" }
    }

    public struct Pipeline: Sendable, Codable, Equatable {
        public var maxInFlightRecords = 5000
        public var maxRecordBytes = 65536

        public init() {}
    }

    public var kafka = Kafka()

    /// Points the Kafka settings at the embedded broker (librdkafka's mock cluster) at `bootstrapServers`, with the
    /// short fetch wait it needs (`KafkaMockCluster.fetchWaitMilliseconds`).
    public mutating func useEmbeddedBroker(_ bootstrapServers: String, fetchWaitMilliseconds: String) {
        self.kafka.bootstrapServers = bootstrapServers
        self.kafka.consumerProperties["fetch.wait.max.ms"] = fetchWaitMilliseconds
    }
    public var topics = Topics()
    public var http = HTTP()
    public var steering = Steering()
    public var logging = Logging()
    public var shutdown = Shutdown()
    public var pipeline = Pipeline()
    public var processing = Processing()

    public init() {}

    /// Reads settings from YAML; missing keys keep their defaults.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RouterSettings {
        var settings = RouterSettings()
        if let file {
            // As the steering configuration: every problem with its line and column, unknown keys included (a
            // misspelt `bearerTokenFile` would otherwise leave the endpoints open), and no source text quoted.
            var loader = YAMLDocumentLoader()
            guard let (decoded, _) = loader.decode(RouterSettings.self, file: file, displayName: file), loader.problems.isEmpty else {
                throw SettingsError(
                    "invalid settings file (\(loader.problems.count) problem\(loader.problems.count == 1 ? "" : "s")):\n"
                        + loader.problems.map { "  \($0)" }.joined(separator: "\n"))
            }
            settings = decoded
        }
        try settings.applyEnvironment(environment)
        try settings.validate()
        return settings
    }

    /// Values the types alone do not bound.
    func validate() throws {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(self.logging.level) else {
            throw SettingsError("logging.level is one of \(levels.joined(separator: ", ")), not '\(self.logging.level)'")
        }
        guard ["json", "text"].contains(self.logging.format) else {
            throw SettingsError("logging.format is json or text, not '\(self.logging.format)'")
        }
    }

    /// Applies `REFERRAL_ROUTER_<SECTION>_<KEY>` variables.
    mutating func applyEnvironment(_ environment: [String: String]) throws {
        func value(_ section: String, _ key: String) -> String? {
            environment["REFERRAL_ROUTER_\(section)_\(key)".uppercased()]
        }
        if let v = value("kafka", "bootstrapServers") { self.kafka.bootstrapServers = v }
        if let v = value("kafka", "groupId") { self.kafka.groupId = v }
        if let v = value("kafka", "autoCreateTopics") {
            switch v.lowercased() {
            case "true", "1", "yes": self.kafka.autoCreateTopics = true
            case "false", "0", "no": self.kafka.autoCreateTopics = false
            default: throw SettingsError("REFERRAL_ROUTER_KAFKA_AUTOCREATETOPICS is true or false")
            }
        }
        if let v = value("kafka", "sessionTimeoutMs") {
            guard let milliseconds = Int(v) else { throw SettingsError("REFERRAL_ROUTER_KAFKA_SESSIONTIMEOUTMS must be a number") }
            self.kafka.sessionTimeoutMs = milliseconds
        }
        if let v = value("http", "host") { self.http.host = v }
        if let v = value("http", "bearerToken") { self.http.bearerToken = v }
        if let v = value("http", "bearerTokenFile") { self.http.bearerTokenFile = v }
        if let v = value("http", "port") {
            guard let port = Int(v) else { throw SettingsError("REFERRAL_ROUTER_HTTP_PORT must be a number") }
            self.http.port = port
        }
        if let v = value("steering", "directory") { self.steering.directory = v }
        if let v = value("processing", "guarantee") {
            guard ["at_least_once", "exactly_once"].contains(v) else {
                throw SettingsError("REFERRAL_ROUTER_PROCESSING_GUARANTEE is at_least_once or exactly_once")
            }
            self.processing.guarantee = v
        }
        if let v = value("processing", "transactionalId") { self.processing.transactionalId = v }
        if let v = value("logging", "level") { self.logging.level = v }
        if let v = value("logging", "format") { self.logging.format = v }
    }
}

extension RouterSettings {
    /// Decodes with defaults for every missing key.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.kafka = try container.decodeIfPresent(Kafka.self, forKey: .kafka) ?? Kafka()
        self.topics = try container.decodeIfPresent(Topics.self, forKey: .topics) ?? Topics()
        self.http = try container.decodeIfPresent(HTTP.self, forKey: .http) ?? HTTP()
        self.steering = try container.decodeIfPresent(Steering.self, forKey: .steering) ?? Steering()
        self.logging = try container.decodeIfPresent(Logging.self, forKey: .logging) ?? Logging()
        self.shutdown = try container.decodeIfPresent(Shutdown.self, forKey: .shutdown) ?? Shutdown()
        self.pipeline = try container.decodeIfPresent(Pipeline.self, forKey: .pipeline) ?? Pipeline()
        self.processing = try container.decodeIfPresent(Processing.self, forKey: .processing) ?? Processing()
    }
}

extension RouterSettings.Kafka {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.bootstrapServers = try c.decodeIfPresent(String.self, forKey: .bootstrapServers) ?? d.bootstrapServers
        self.groupId = try c.decodeIfPresent(String.self, forKey: .groupId) ?? d.groupId
        self.clientId = try c.decodeIfPresent(String.self, forKey: .clientId) ?? d.clientId
        self.autoCreateTopics = try c.decodeIfPresent(Bool.self, forKey: .autoCreateTopics) ?? d.autoCreateTopics
        self.topicPartitions = try c.decodeIfPresent(Int.self, forKey: .topicPartitions) ?? d.topicPartitions
        self.replicationFactor = try c.decodeIfPresent(Int.self, forKey: .replicationFactor) ?? d.replicationFactor
        self.sessionTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .sessionTimeoutMs) ?? d.sessionTimeoutMs
        self.properties = try c.decodeIfPresent([String: String].self, forKey: .properties) ?? d.properties
        self.consumerProperties =
            try c.decodeIfPresent([String: String].self, forKey: .consumerProperties) ?? d.consumerProperties
        self.security = try c.decodeIfPresent(RouterSettings.Security.self, forKey: .security) ?? d.security
    }
}

extension RouterSettings.Topics {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        self.requests = try c.decodeIfPresent(String.self, forKey: .requests) ?? d.requests
        self.status = try c.decodeIfPresent(String.self, forKey: .status) ?? d.status
        self.assignments = try c.decodeIfPresent(String.self, forKey: .assignments) ?? d.assignments
        self.consultations = try c.decodeIfPresent(String.self, forKey: .consultations) ?? d.consultations
        self.sla = try c.decodeIfPresent(String.self, forKey: .sla) ?? d.sla
        self.rejections = try c.decodeIfPresent(String.self, forKey: .rejections) ?? d.rejections
        self.deadletter = try c.decodeIfPresent(String.self, forKey: .deadletter) ?? d.deadletter
        self.state = try c.decodeIfPresent(String.self, forKey: .state) ?? d.state
    }
}

extension RouterSettings.HTTP {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.host = try c.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
        self.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? 8080
        self.bearerToken = try c.decodeIfPresent(String.self, forKey: .bearerToken)
        self.bearerTokenFile = try c.decodeIfPresent(String.self, forKey: .bearerTokenFile)
    }
}

extension RouterSettings.Logging {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.level = try c.decodeIfPresent(String.self, forKey: .level) ?? "info"
        self.format = try c.decodeIfPresent(String.self, forKey: .format) ?? "json"
    }
}

extension RouterSettings.Shutdown {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.gracePeriodSeconds = try c.decodeIfPresent(Int.self, forKey: .gracePeriodSeconds) ?? 20
    }
}

extension RouterSettings.Pipeline {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.maxInFlightRecords = try c.decodeIfPresent(Int.self, forKey: .maxInFlightRecords) ?? 5000
        self.maxRecordBytes = try c.decodeIfPresent(Int.self, forKey: .maxRecordBytes) ?? 65536
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
