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
}
