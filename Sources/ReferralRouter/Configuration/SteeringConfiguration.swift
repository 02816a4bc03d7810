import Deadlines
import Foundation
import SteeringModel

/// Everything that decides: the routing table (regions and rules) with its content hash.
///
/// Loaded from a directory laid out as:
/// ```
/// rules.yaml              the decision table
/// regions/*.yaml          one file per region
/// sla-policies.yaml       SLA policies (statutory deadlines)
/// calendar.yaml           calendar settings, closure days, school calendars
/// ```
public struct SteeringConfiguration: Sendable {
    public let table: RoutingTable
    /// SLA policies (`sla-policies.yaml`).
    public let policies: SLAPolicyConfiguration
    /// Calendar settings, closure days and school calendars (`calendar.yaml`).
    public let calendars: CalendarConfiguration
    /// `sha256:` and the first 16 hex digits of the hash over every file's name and bytes.
    public var version: String { self.table.version }
    public let directory: String
    public let files: [String]

    /// Loads and validates a configuration directory.
    ///
    /// - Throws: ``ConfigurationError`` listing every problem with file, line and column.
    public static func load(directory: String) throws(ConfigurationError) -> SteeringConfiguration {
        let base = URL(fileURLWithPath: directory)
        var loader = YAMLDocumentLoader()
        var hashed: [(String, Data)] = []

        let rulesName = "rules.yaml"
        let rules = loader.decode(RulesConfiguration.self, file: base.appendingPathComponent(rulesName).path, displayName: rulesName)
        if let rules { hashed.append((rulesName, rules.1)) }

        let policiesName = "sla-policies.yaml"
        let policies = loader.decode(
            SLAPolicyConfiguration.self, file: base.appendingPathComponent(policiesName).path, displayName: policiesName)
        if let policies { hashed.append((policiesName, policies.1)) }
        let calendarName = "calendar.yaml"
        let calendars = loader.decode(
            CalendarConfiguration.self, file: base.appendingPathComponent(calendarName).path, displayName: calendarName)
        if let calendars { hashed.append((calendarName, calendars.1)) }

        let regionDirectory = base.appendingPathComponent("regions")
        let regionFiles =
            ((try? FileManager.default.contentsOfDirectory(atPath: regionDirectory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        if regionFiles.isEmpty {
            throw ConfigurationError(problems: [
                ConfigurationProblem(ConfigurationLocation(file: "regions/"), "no region files (regions/*.yaml) in \(directory)")
            ])
        }
        var regions: [(source: String, configuration: RegionConfiguration)] = []
        for file in regionFiles {
            let name = "regions/\(file)"
            if let region = loader.decode(
                RegionConfiguration.self, file: regionDirectory.appendingPathComponent(file).path, displayName: name)
            {
                regions.append((name, region.0))
                hashed.append((name, region.1))
            }
        }
        // Unknown keys do not stop validation; files that could not be decoded do.
        guard let rules, let policies, let calendars, regions.count == regionFiles.count else {
            throw ConfigurationError(problems: loader.problems)
        }
        let version = Self.contentHash(hashed)
        let table: RoutingTable
        do {
            table = try RoutingTable(
                regions: regions, rules: (rulesName, rules.0), version: version,
                slaPolicies: Set(policies.0.policies.map(\.id)))
        } catch {
            throw ConfigurationError(problems: loader.problems + loader.locate(error.problems))
        }
        guard loader.problems.isEmpty else {
            throw ConfigurationError(problems: loader.problems)
        }
        return SteeringConfiguration(
            table: table, policies: policies.0, calendars: calendars.0, directory: directory,
            files: hashed.map(\.0).sorted())
    }

    static func contentHash(_ files: [(String, Data)]) -> String {
        var bytes: [UInt8] = []
        for (name, data) in files.sorted(by: { $0.0 < $1.0 }) {
            bytes.append(contentsOf: Array(name.utf8))
            bytes.append(0)
            bytes.append(contentsOf: Array(String(data.count).utf8))
            bytes.append(0)
            bytes.append(contentsOf: data)
        }
        return "sha256:" + SHA256.hex(bytes).prefix(16)
    }

    /// The default configuration directory: `$REFERRAL_ROUTER_STEERING`, else `config/steering` under the current
    /// directory, else next to the executable's package checkout.
    public static var defaultDirectory: String {
        if let fromEnvironment = ProcessInfo.processInfo.environment["REFERRAL_ROUTER_STEERING"] {
            return fromEnvironment
        }
        let candidates = [
            FileManager.default.currentDirectoryPath + "/config/steering",
            "/etc/referral-router/steering",
            "/usr/share/referral-router/steering",
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/rules.yaml") } ?? candidates[0]
    }
}
