import Deadlines
import Foundation
import SteeringModel
import Testing

@testable import ReferralRouter

/// The planner keeps calculators and resolved milestones for reuse; what it plans must not depend on what it
/// planned before.
@Suite("Decision planner")
struct DecisionPlannerTests {
    @Test func resolvedMilestonesAreThePolicysForEachUrgency() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let planner = DecisionPlanner(configuration: configuration)
        var differing = 0
        for policy in configuration.policies.policies {
            for urgency in Urgency.allCases {
                let expected = policy.effectiveMilestones(urgency: urgency.rawValue)
                for _ in 0..<2 {
                    let resolved = try #require(planner.milestones(policyId: policy.id, urgency: urgency.rawValue))
                    #expect(resolved.milestones == expected, "\(policy.id) \(urgency)")
                    #expect(resolved.policyId == policy.id)
                    #expect(resolved.defaultThresholds == policy.warningThresholds)
                }
                if expected != policy.effectiveMilestones(urgency: nil) { differing += 1 }
            }
        }
        // The shipped policies have urgency variants, so a memo that ignored the urgency would fail above.
        #expect(differing > 0)
        #expect(planner.milestones(policyId: "no_such_policy", urgency: "urgent") == nil)
    }

    /// Requests over four weeks (weekends, Easter 2026, every municipality and school of the generator), planned
    /// by one long-lived planner and each by a fresh one: the same milestones, explanations included.
    @Test func aLongLivedPlannerPlansAsAFreshOne() throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let validator = RequestValidator()
        let engine = SteeringEngine(table: configuration.table)
        let shared = DecisionPlanner(configuration: configuration)
        let first = Date(timeIntervalSince1970: 1_774_944_000)  // 2026-03-31T11:00:00+03:00
        var traffic = SyntheticTraffic(seed: 5, prefix: "plan", invalidShare: 0, duplicateShare: 0, statusShare: 0)
        var planned = 0
        for index in 0..<600 {
            // Every 67 minutes: times of day and dates both vary, several requests per day.
            let submittedAt = first.addingTimeInterval(Double(index) * 67 * 60)
            let request = try validator.validateRequest(traffic.valid(submittedAt: submittedAt).value).get()
            let decision = engine.decide(request)
            let milestones = shared.plan(decision, request: request)
            #expect(milestones == DecisionPlanner(configuration: configuration).plan(decision, request: request))
            planned += milestones.count { $0.dueAt != nil }
        }
        #expect(planned > 600)
    }

    /// School working days are the school's: a pupil living in one municipality and going to school in another
    /// counts by the school's municipality's calendar (Lahti's has an autumn and a Christmas break; Hollola has
    /// none configured, so its school counts national working days).
    @Test(arguments: [
        // A Lahti resident at Hollola's school, from Thursday 8 October 2026: 7 school working days, national.
        ("398", "ph-school-hollola", "2026-10-08T10:00:00+03:00", 7, "2026-10-19"),
        // A Hollola resident at a Lahti school, from Friday 18 December 2026: 3 school days after Lahti's break.
        ("098", "ph-school-jalkaranta", "2026-12-18T10:00:00+02:00", 3, "2027-01-08"),
        // No municipality given: the school's still decides.
        (nil, "ph-school-jalkaranta", "2026-12-18T10:00:00+02:00", 3, "2027-01-08"),
    ] as [(String?, String, String, Int, String)])
    func schoolDaysCountByTheSchoolsMunicipality(
        municipality: String?, school: String, receipt: String, days: Int, due: String
    ) throws {
        let configuration = try SteeringConfiguration.load(directory: SteeringConfiguration.defaultDirectory)
        let planner = DecisionPlanner(configuration: configuration)
        let start = try #require(ISO8601DateFormatter().date(from: receipt))
        let calculator = planner.calculator(municipality: municipality, schoolId: school, at: start)
        let deadline = try calculator.deadline(.schoolWorkingDays(days), from: start)
        #expect(LocalRFC3339.format(deadline.dueAt).hasPrefix(due), "\(deadline)")
    }
}
