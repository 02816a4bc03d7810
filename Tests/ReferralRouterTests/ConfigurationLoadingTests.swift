import Foundation
import ReferralRouter
import SteeringModel
import Testing

@Suite("Loading the steering configuration")
struct ConfigurationLoadingTests {
    /// Copies the shipped configuration to a temporary directory and applies text replacements to one file.
    static func mutatedCopy(_ file: String, _ replacements: [(String, String)]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("steering-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: ShippedConfiguration.directory, toPath: directory.path)
        let path = directory.appendingPathComponent(file).path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        for (old, new) in replacements {
            #expect(text.contains(old), "fixture text \(old) must exist")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return directory.path
    }

    static func line(of needle: String, in directory: String, file: String) throws -> Int {
        let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(needle) }) + 1
    }

    static func problems(_ directory: String) -> [ConfigurationProblem] {
        do {
            _ = try SteeringConfiguration.load(directory: directory)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func shippedConfigurationIsValidWithoutCoverageWarnings() throws {
        let configuration = ShippedConfiguration.configuration
        #expect(configuration.version.hasPrefix("sha256:"))
        #expect(configuration.files.count == 5)
        let report = CoverageReport(table: configuration.table)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        // Every owner rule is reachable.
        #expect(report.ruleHits.count == configuration.table.rules.ownerRules.count)
    }

    @Test func reportsEveryProblemWithFileAndLine() throws {
        let directory = try Self.mutatedCopy(
            "regions/paijat-hame.yaml",
            [("{ id: heinola, name: Heinola }", "{ id: heinola, name: Heinola, manager: x }"), ("area: iitti }", "area: itti }")])
        let problems = Self.problems(directory)
        #expect(problems.count == 2)
        let unknown = try #require(problems.first { $0.message.contains("unknown key 'manager'") })
        #expect(unknown.location.file == "regions/paijat-hame.yaml")
        #expect(unknown.location.line == (try Self.line(of: "manager: x", in: directory, file: "regions/paijat-hame.yaml")))
        let dangling = try #require(problems.first { $0.message.contains("area 'itti' is not defined") })
        #expect(dangling.location.line == (try Self.line(of: "area: itti", in: directory, file: "regions/paijat-hame.yaml")))
        #expect(dangling.location.pathDescription == "municipalities[6].area")
    }

    @Test(arguments: [
        ("rules.yaml", "sla: student_welfare", "sla: student_wellfare", "SLA policy 'student_wellfare' is not defined"),
        ("rules.yaml", "unitType: family_centre\n    sla: social_welfare_assessment", "unitType: family_center\n    sla: social_welfare_assessment", "'family_center' is not a valid UnitType"),
        ("rules.yaml", "    when: {}\n", "    when:\n      urgency: [urgent]\n", "the last owner rule must have an empty condition"),
        ("regions/paijat-hame.yaml", "\"15300-15340\"", "\"15100-15110\"", "overlap"),
        ("regions/paijat-hame.yaml", "triageTeam: ph-triage", "triageTeam: ph-nobody", "triage team 'ph-nobody' is not defined"),
        ("regions/lansi-uusimaa.yaml", "capacity: 25 }", "capacity: 0 }", "capacity must be a positive number"),
        ("regions/lansi-uusimaa.yaml", "team: lu-sw-sv }", "team: lu-fc-sv }", "is not a school_welfare team"),
        ("rules.yaml", "ages: \"13-22\"\n        unitType: adolescent_psychiatry\n        sla", "ages: \"12-22\"\n        unitType: adolescent_psychiatry\n        sla", "overlap an earlier branch"),
    ])
    func rejectsInvalidConfiguration(file: String, old: String, new: String, message: String) throws {
        let directory = try Self.mutatedCopy(file, [(old, new)])
        let problems = Self.problems(directory)
        let problem = try #require(problems.first { $0.message.contains(message) }, "\(problems)")
        #expect(problem.location.file == file)
        #expect(problem.location.line != nil)
    }
}
