import Deadlines
import Foundation
import Testing

@Suite struct SLAPolicyTests {
    @Test func urgencyVariantsChangeTheirMilestones() {
        let policy = TestPolicies.studentWelfare
        #expect(policy.effectiveMilestones(urgency: "urgent").map(\.span) == [.sameOrNextSchoolWorkingDay])
        #expect(policy.effectiveMilestones(urgency: "emergency").map(\.span) == [.sameOrNextSchoolWorkingDay])
        #expect(policy.effectiveMilestones(urgency: "new_concern").map(\.span) == [.schoolWorkingDays(7)])
        #expect(policy.effectiveMilestones(urgency: nil).map(\.span) == [.schoolWorkingDays(7)])
        #expect(policy.effectiveMilestones(urgency: nil).map(\.warningThresholds) == [.default])
    }

    @Test func namedVariantsApplyOnlyWhenSelected() {
        let policy = TestPolicies.mentalHealth
        #expect(policy.effectiveMilestones(urgency: "urgent").map(\.span) == [.weeks(3), .months(3)])
        #expect(
            policy.effectiveMilestones(urgency: nil, variantIds: ["specialist_assessment", "therapy_guarantee"])
                .map(\.span) == [.weeks(6), .calendarDays(28)]
        )
        #expect(policy.effectiveMilestones(urgency: nil).map(\.roll) == [false, false])
    }

    @Test func invalidPoliciesListEveryProblem() {
        var broken = TestPolicies.mentalHealth
        broken.milestones.append(SLAMilestone(id: "need_assessed", span: .weeks(1), metBy: []))
        broken.milestones.append(
            SLAMilestone(id: "Bad-Id", span: .weeks(1), metBy: [.closed, .firstContact], startsOn: .firstContact)
        )
        broken.variants.append(.init(id: "urgent", milestones: [.init(id: "nope")]))
        do {
            _ = try SLAPolicyConfiguration(policies: [TestPolicies.emergency, broken, TestPolicies.emergency])
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "sla-policies")
            #expect(
                error.problems == [
                    "policies[1].milestones[2].id: need_assessed is used twice",
                    "policies[1].milestones[2].metBy: is empty, so nothing can meet the milestone",
                    "policies[1].milestones[3].id: \"Bad-Id\" must be 1–64 characters of a-z, 0-9 and _",
                    "policies[1].milestones[3].metBy: closed cannot meet a milestone (it cancels or moves it)",
                    "policies[1].milestones[3].startsOn: first_contact would also meet the milestone it starts",
                    "policies[1].variants[2].milestones[0].id: no milestone nope in mental_health_under_23",
                    "policies[2].id: emergency is used twice",
                ]
            )
        }
    }

    @Test func configurationRoundTripsThroughJSON() throws {
        let configuration = try SLAPolicyConfiguration(policies: [
            TestPolicies.emergency, TestPolicies.socialWelfare, TestPolicies.studentWelfare, TestPolicies.mentalHealth,
        ])
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(SLAPolicyConfiguration.self, from: data) == configuration)
        #expect(configuration.policy(id: "student_welfare") == TestPolicies.studentWelfare)
    }

    /// The keys the YAML uses, with every optional key left out.
    @Test func decodesTheConfigurationSchemaWithDefaults() throws {
        let json = """
            {"policies": [{"id": "p", "name": "P",
              "legalBasis": {"law": "L 1/2000", "section": "2 §", "version": "2024-01-01"},
              "milestones": [{"id": "m", "span": "7wd", "metBy": ["first_contact"]},
                             {"id": "n", "span": "3m", "roll": false, "startsOn": "assessment_completed",
                              "metBy": ["service_started"], "warningThresholds": [0.9, 0.5]}],
              "variants": [{"id": "urgent", "urgency": ["urgent"], "milestones": [{"id": "m", "span": "1wd"}]}]}]}
            """
        let policy = try #require(
            try JSONDecoder().decode(SLAPolicyConfiguration.self, from: Data(json.utf8)).policies.first
        )
        #expect(policy.warningThresholds == .default)
        #expect(policy.milestones[0].roll)
        #expect(policy.milestones[0].startsOn == nil)
        #expect(policy.milestones[1].warningThresholds?.fractions == [0.5, 0.9])
        #expect(policy.effectiveMilestones(urgency: "urgent")[0].span == .workingDays(1))
        #expect(policy.legalBasis.description == "L 1/2000 2 § (version 2024-01-01)")
    }

    @Test(arguments: [[], [0.75], [0.25, 0.5, 0.75, 0.9], [0.9, 0.1]])
    func warningThresholdsPackAndSort(fractions: [Double]) throws {
        let thresholds = try #require(WarningThresholds(fractions))
        #expect(thresholds.fractions == fractions.sorted())
        #expect(thresholds.count == fractions.count)
        let data = try JSONEncoder().encode(thresholds)
        #expect(try JSONDecoder().decode(WarningThresholds.self, from: data) == thresholds)
    }

    @Test(arguments: [[0.0], [1.0], [1.5], [-0.1], [0.5, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5], [Double.nan]])
    func invalidWarningThresholdsAreRejected(fractions: [Double]) {
        #expect(WarningThresholds(fractions) == nil)
    }

    @Test func statusSetsAreCompactAndRoundTrip() throws {
        let set = ReferralStatusSet([.firstContact, .serviceStarted])
        #expect(set.contains(.firstContact) && !set.contains(.acknowledged))
        #expect(set.statuses == [.firstContact, .serviceStarted])
        let data = try JSONEncoder().encode(set)
        #expect(String(decoding: data, as: UTF8.self) == #"["first_contact","service_started"]"#)
        #expect(try JSONDecoder().decode(ReferralStatusSet.self, from: data) == set)
        #expect(ReferralStatus.allCases.filter(\.cancelsOpenTimers) == [.closed, .withdrawn])
    }
}
