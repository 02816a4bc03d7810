import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ReferralRouter
import SteeringModel
import Testing

@Suite("HTTP status endpoints")
struct StatusEndpointTests {
    static func makeApplication(token: String? = nil) throws -> RouterApplication {
        var settings = RouterSettings()
        settings.http.bearerToken = token
        settings.kafka.bootstrapServers = "127.0.0.1:1"
        return try RouterApplication(
            settings: settings, configuration: ShippedConfiguration.configuration,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func reportsNotReadyWithReasonsBeforeThePipelineRuns() async throws {
        let application = try Self.makeApplication()
        try await application.makeHTTPApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(body.contains("\"ready\":false"))
                #expect(body.contains("no partitions assigned"))
                #expect(body.contains("broker unreachable"))
            }
        }
    }

    @Test func statusIsJSONWithCountsAndConfigurationVersion() async throws {
        let application = try Self.makeApplication()
        try await application.makeHTTPApplication().test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let value = try JSONParser.parse(Array(response.body.readableBytesView)).get()
                guard case .object(let status) = value else {
                    Issue.record("status must be an object")
                    return
                }
                #expect(status["configurationVersion"] == .string(ShippedConfiguration.configuration.version))
                #expect(status["service"] == .string("referral-router"))
                guard case .object(let counts)? = status["counts"] else {
                    Issue.record("counts missing")
                    return
                }
                #expect(counts["routed"] == .number(JSONNumber(text: "0")))
                #expect(status["timersByTeam"] != nil)
                #expect(status["timersHeldBy"] == .array([]), "no partition holds the timers")
                #expect(status["consumerLag"] != nil)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            }
            try await client.execute(uri: "/status", method: .post) { response in
                #expect(response.status == .methodNotAllowed || response.status == .notFound)
            }
        }
    }

    @Test func rendersAnHTMLPageForOperators() async throws {
        let application = try Self.makeApplication()
        try await application.makeHTTPApplication().test(.router) { client in
            try await client.execute(uri: "/status", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: response.body)
                #expect(page.contains("<title>referral-router status</title>"))
                #expect(page.contains("NOT READY"))
                #expect(page.contains(ShippedConfiguration.configuration.version))
                #expect(page.contains("Dead letters by reason"))
            }
        }
    }

    @Test func aBearerTokenGuardsEverythingButTheProbes() async throws {
        let application = try Self.makeApplication(token: "s3cret-token")
        try await application.makeHTTPApplication().test(.router) { client in
            try await client.execute(uri: "/status", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/status", method: .get, headers: [.authorization: "Bearer s3cret-token"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable, "probes need no token")
            }
        }
    }
}
