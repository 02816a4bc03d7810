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
}
