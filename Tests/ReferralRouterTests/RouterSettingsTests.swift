import Foundation
import ReferralRouter
import Testing

@Suite("Daemon settings")
struct RouterSettingsTests {
    static let shippedFile: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/router.yaml").path
    }()

    @Test func theShippedFileStatesTheDefaults() throws {
        var settings = try RouterSettings.load(file: Self.shippedFile, environment: [:])
        #expect(settings.steering.directory == "config/steering")
        settings.steering.directory = nil
        #expect(settings == RouterSettings())
    }

    @Test func environmentOverridesTheFile() throws {
        let settings = try RouterSettings.load(
            file: Self.shippedFile,
            environment: [
                "REFERRAL_ROUTER_KAFKA_BOOTSTRAPSERVERS": "kafka-1:9092", "REFERRAL_ROUTER_HTTP_PORT": "9090",
                "REFERRAL_ROUTER_PROCESSING_GUARANTEE": "exactly_once", "REFERRAL_ROUTER_KAFKA_SESSIONTIMEOUTMS": "6000",
            ])
        #expect(settings.kafka.bootstrapServers == "kafka-1:9092")
        #expect(settings.http.port == 9090)
        #expect(settings.processing.isExactlyOnce)
        #expect(settings.kafka.sessionTimeoutMs == 6000)
    }

    @Test func rejectsAnUnknownGuarantee() {
        #expect(throws: (any Error).self) {
            try RouterSettings.load(file: nil, environment: ["REFERRAL_ROUTER_PROCESSING_GUARANTEE": "maybe_once"])
        }
    }

    @Test func saslAndTLSBecomeLibrdkafkaPropertiesWithTheSecretFromAFile() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("sasl-\(UUID().uuidString)").path
        try "hunter2\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let yaml = """
            kafka:
              security:
                protocol: sasl_ssl
                saslMechanism: SCRAM-SHA-512
                saslUsername: router
                saslPasswordFile: \(secret)
                caFile: /etc/ssl/certs/ca.pem
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try RouterSettings.load(file: file, environment: [:])
        let properties = try settings.kafka.security.librdkafkaProperties(environment: [:])
        #expect(properties["security.protocol"] == "sasl_ssl")
        #expect(properties["sasl.mechanisms"] == "SCRAM-SHA-512")
        #expect(properties["sasl.password"] == "hunter2")
        #expect(properties["ssl.ca.location"] == "/etc/ssl/certs/ca.pem")
        // The settings themselves never hold the secret, so printing or logging them cannot leak it.
        #expect(!"\(settings)".contains("hunter2"))
    }

    @Test func saslWithoutAPasswordIsRefused() throws {
        var security = RouterSettings.Security()
        security.protocolName = "sasl_plaintext"
        security.saslMechanism = "PLAIN"
        #expect(throws: (any Error).self) { try security.librdkafkaProperties(environment: [:]) }
        #expect(try security.librdkafkaProperties(environment: ["REFERRAL_ROUTER_KAFKA_SASLPASSWORD": "x"])["sasl.password"] == "x")
    }
}

@Suite("Daemon settings: validation")
struct RouterSettingsValidationTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> RouterSettings {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("router-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return try RouterSettings.load(file: file, environment: environment)
    }

    /// A misspelt key is an error with its line and column, not silently ignored (here it would have left the
    /// endpoints without their bearer token).
    @Test func anUnknownKeyIsReportedWithItsLine() {
        let yaml = "http:\n  port: 8080\n  bearerTokenfile: /run/secrets/token\n"
        do {
            _ = try Self.load(yaml)
            Issue.record("a misspelt key must be refused")
        } catch {
            #expect("\(error)".contains(".yaml:3:3 (http.bearerTokenfile): unknown key 'bearerTokenfile'"), "\(error)")
        }
    }

    @Test func theTransactionalIdComesFromTheEnvironment() throws {
        let settings = try Self.load("kafka:\n  groupId: g\n", environment: ["REFERRAL_ROUTER_PROCESSING_TRANSACTIONALID": "router-2"])
        #expect(settings.processing.transactionalId == "router-2")
    }

    /// An empty token would lock every client out, or let any in behind a proxy that keeps "Bearer ".
    @Test func anEmptyBearerTokenIsRefused() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        try " \n".write(toFile: file, atomically: true, encoding: .utf8)
        var http = RouterSettings.HTTP()
        http.bearerTokenFile = file
        #expect(throws: SettingsError.self) { try http.resolvedBearerToken() }
        http.bearerTokenFile = nil
        http.bearerToken = ""
        #expect(throws: SettingsError.self) { try http.resolvedBearerToken() }
        http.bearerToken = "s3cret"
        #expect(try http.resolvedBearerToken() == "s3cret")
    }

    /// A syntax error names the line, never the text of it (which could be a secret).
    @Test func aSyntaxErrorNamesTheLineNotItsText() {
        do {
            _ = try Self.load("http:\n  bearerToken: \"s3cret\n  port: 8080\n")
            Issue.record("a syntax error must be refused")
        } catch {
            #expect("\(error)".contains("YAML syntax"), "\(error)")
            #expect(!"\(error)".contains("s3cret"), "\(error)")
        }
    }

    @Test(arguments: [
        ("logging:\n  level: verbose\n", [String: String]()),
        ("logging:\n  format: xml\n", [:]),
        ("kafka:\n  groupId: g\n", ["REFERRAL_ROUTER_KAFKA_AUTOCREATETOPICS": "ture"]),
        ("kafka:\n  groupId: g\n", ["REFERRAL_ROUTER_LOGGING_LEVEL": "loud"]),
    ])
    func anInvalidValueIsRefused(yaml: String, environment: [String: String]) {
        #expect(throws: (any Error).self) { try Self.load(yaml, environment: environment) }
    }
}
