import ArgumentParser
import Foundation
import Logging
import ReferralRouter
import ServiceLifecycle

/// `referral-router run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the router daemon against a Kafka cluster."
    )

    @Option(name: .long, help: "The settings file (YAML); see config/router.yaml.")
    var config: String?

    @Option(name: .long, help: "Kafka bootstrap servers (overrides the settings file).")
    var bootstrap: String?

    @Option(name: .long, help: "The steering configuration directory (overrides the settings file).")
    var steering: String?

    @Option(name: .long, help: "HTTP port (overrides the settings file).")
    var port: Int?

    func run() async throws {
        var settings = try RouterSettings.load(file: self.config)
        if let bootstrap { settings.kafka.bootstrapServers = bootstrap }
        if let steering { settings.steering.directory = steering }
        if let port { settings.http.port = port }
        try await Daemon.run(settings: settings)
    }
}

enum Daemon {
    /// Bootstraps logging, loads the steering configuration and runs the service group until a signal.
    static func run(settings: RouterSettings, extraServices: [any Service] = [], bootstrapLogging: Bool = true) async throws {
        if bootstrapLogging {
            LoggingSystem.bootstrap { label in
                LogSetup.makeHandler(label: label, level: settings.logging.level, format: settings.logging.format)
            }
        }
        let logger = Logger(label: "referral-router")
        let configuration = try loadConfiguration(settings.steering.directory)
        logger.info(
            "Starting",
            metadata: [
                "version": "\(RouterApplication.version)", "steeringModelVersion": "\(configuration.version)",
                "bootstrap": "\(settings.kafka.bootstrapServers)", "http": "\(settings.http.host):\(settings.http.port)",
            ])
        let application = try RouterApplication(settings: settings, configuration: configuration, logger: logger)
        do {
            try await application.makeServiceGroup(extraServices: extraServices).run()
        } catch {
            logger.critical("Stopped with an error", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("referral-router: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
