import ArgumentParser

/// The `referral-router` command line.
@main
struct ReferralRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referral-router",
        abstract: "Routes referrals for child and family services by the low-threshold client-steering model.",
        subcommands: [RunCommand.self, DemoCommand.self, RouteCommand.self, CheckConfigCommand.self, DeadlineCommand.self, DevBrokerCommand.self, BenchCommand.self],
        defaultSubcommand: nil
    )
}
