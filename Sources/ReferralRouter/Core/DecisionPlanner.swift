import Deadlines
import Foundation
import SteeringModel

/// Turns a decision's SLA policy into milestones with due times, by the Finnish working-day calendar.
///
/// A class: every routed request's output encoding captures the planner of its decision time, and a reference is
/// one retain where a copy of the configuration was one per reference it holds.
final class DecisionPlanner: Sendable {
    let configuration: SteeringConfiguration

    init(configuration: SteeringConfiguration) {
        self.configuration = configuration
    }

    /// The calculator for a request: the national calendar of its municipality and its school calendar.
    func calculator(for request: ReferralRequest) -> DeadlineCalculator {
        let calendars = self.configuration.calendars
        let municipality = request.client.municipality
        return DeadlineCalculator(
            national: calendars.nationalCalendar(municipality: municipality),
            school: calendars.schoolCalendar(
                schoolId: request.client.schoolId, municipality: municipality,
                on: CivilDate(instant: request.submittedAt)))
    }

    /// The milestones of the decision's policy, each with its due time and explanation; milestones that start
    /// on a later status carry `startsOn` instead of a due time.
    ///
    /// `computed` holds deadlines already computed for this request (by the timers, which run the same calendar);
    /// only the others are computed here.
    func plan(
        _ decision: Decision,
        request: ReferralRequest,
        computed: [ReferralTimers.MilestoneDeadline] = []
    ) -> [PlannedMilestone] {
        guard let policyId = decision.slaPolicy, let policy = self.configuration.policies.policy(id: policyId) else {
            return []
        }
        // Built only when a milestone was not computed already (usually all of them were, by the timers).
        var calculator: DeadlineCalculator?
        return policy.effectiveMilestones(urgency: request.need.urgency.rawValue).map { milestone in
            if let startsOn = milestone.startsOn {
                return PlannedMilestone(
                    milestone: milestone.id, dueAt: nil, startsOn: startsOn.rawValue,
                    note: "\(milestone.span) from the \(startsOn.rawValue) status")
            }
            do {
                let deadline: Deadline
                if let known = computed.first(where: { $0.milestone == milestone.id })?.deadline {
                    deadline = known
                } else {
                    let built = calculator ?? self.calculator(for: request)
                    calculator = built
                    deadline = try built.deadline(milestone.span, from: request.submittedAt, roll: milestone.roll)
                }
                return PlannedMilestone(
                    milestone: milestone.id, dueAt: deadline.dueAt, deadlineExplanation: deadline.explanation)
            } catch {
                return PlannedMilestone(milestone: milestone.id, dueAt: nil, note: "cannot compute: \(error)")
            }
        }
    }
}
