import ArgumentParser
import Foundation
import ReferralRouter
import SteeringModel

/// `referral-router check-config`: validates a configuration directory and prints its coverage.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the steering configuration and print coverage findings."
    )

    @Argument(help: "The steering configuration directory (default: config/steering).")
    var directory: String?

    @Flag(name: .long, help: "Exit non-zero when coverage has warnings, not only when the configuration is invalid.")
    var strict = false

    func run() async throws {
        let configuration = try loadConfiguration(self.directory)
        let table = configuration.table
        print("configuration \(configuration.directory): valid")
        print("  steeringModelVersion: \(configuration.version)")
        print("  files: \(configuration.files.joined(separator: ", "))")
        for region in table.regions {
            let c = region.configuration
            print(
                "  region \(region.id) (\(region.name)): \(c.municipalities.count) municipalities, \(c.areas.count) areas, \(c.schools?.count ?? 0) schools, \(c.teams.count) teams, languages \(c.region.languages.joined(separator: "/"))\(c.region.illustrative == true ? " [illustrative]" : "")"
            )
        }
        print(
            "  rules: \(table.rules.ownerRules.count) owner (FIRST), \(table.rules.consultationRules.count) consultation (COLLECT), \(table.rules.consultationRequestRules.count) consultation-request (FIRST)"
        )
        let report = CoverageReport(table: table)
        print("coverage: \(report.enumeratedRequests) enumerated requests")
        for rule in table.rules.ownerRules {
            print("  \(rule.id): wins \(report.ruleHits[rule.id] ?? 0)")
        }
        if report.findings.isEmpty {
            print("no coverage findings")
        }
        for finding in report.findings {
            print(finding)
        }
        if self.strict, !report.warnings.isEmpty {
            throw ExitCode(1)
        }
    }
}
