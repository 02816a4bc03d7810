import Deadlines
import Foundation
import SteeringModel

/// Turns a decision's SLA policy into milestones with due times, by the Finnish working-day calendar.
///
/// A class: every routed request's output encoding captures the planner of its decision time, and a reference is
/// one retain where a copy of the configuration was one per reference it holds.
final class DecisionPlanner: Sendable {
    let configuration: SteeringConfiguration

    /// What selects a calculator: the municipality's closure days, the school's calendar and the date the school
    /// calendar is chosen for (a school year may end between two requests).
    private struct CalculatorKey: Hashable, Sendable {
        var municipality: String?
        var schoolId: String?
        var date: CivilDate
    }

    /// The calculators made so far, each with the deadlines it has counted: a referral's deadlines depend on
    /// these inputs, its policy and the local date of its receipt, so the counts repeat all day. Bounded; the
    /// configuration is fixed for the planner's life (a new configuration makes a new planner).
    private let calculators = BoundedMemo<CalculatorKey, DeadlineCalculator>(limit: 1024)

    /// A policy's milestones in force for one urgency (its variants applied, its thresholds resolved).
    struct PolicyMilestones: Sendable {
        var policyId: String
        var defaultThresholds: WarningThresholds
        var milestones: [SLAMilestone]
        /// By milestone: for one that starts from a later status, the assignment's note saying so (written once
        /// here, not for every decision). One entry per milestone, always: ``DecisionPlanner/plan(_:request:policy:computed:)``
        /// reads it by the milestone's index.
        var laterStartNotes: [String?]
    }

    private struct PolicyKey: Hashable, Sendable {
        var policyId: String
        var urgency: String
    }

    /// Resolved once per policy and urgency: both come from the configuration, which is fixed for the planner, so
    /// the bound is never reached.
    private let policyMilestones = BoundedMemo<PolicyKey, PolicyMilestones>(limit: 1024)

    init(configuration: SteeringConfiguration) {
        self.configuration = configuration
    }

    /// The calculator for a request: the national calendar of its municipality and its school calendar.
    func calculator(for request: ReferralRequest) -> DeadlineCalculator {
        self.calculator(
            municipality: request.client.municipality, schoolId: request.client.schoolId, at: request.submittedAt)
    }

    /// The milestones in force of policy `policyId` for a request of `urgency`; `nil` when no such policy is
    /// configured.
    func milestones(policyId: String, urgency: String) -> PolicyMilestones? {
        let key = PolicyKey(policyId: policyId, urgency: urgency)
        if let known = self.policyMilestones.value(for: key) { return known }
        guard let policy = self.configuration.policies.policy(id: policyId) else { return nil }
        let milestones = policy.effectiveMilestones(urgency: urgency)
        let resolved = PolicyMilestones(
            policyId: policy.id, defaultThresholds: policy.warningThresholds, milestones: milestones,
            laterStartNotes: milestones.map { milestone in
                milestone.startsOn.map { "\(milestone.span) from the \($0.rawValue) status" }
            })
        self.policyMilestones.keep(resolved, for: key)
        return resolved
    }

    /// The calculator for a referral of `municipality` and `schoolId` counting from `instant` (its receipt, or
    /// the status update that starts a milestone).
    func calculator(municipality: String?, schoolId: String?, at instant: Date) -> DeadlineCalculator {
        let key = CalculatorKey(municipality: municipality, schoolId: schoolId, date: CivilDate(instant: instant))
        if let known = self.calculators.value(for: key) { return known }
        let calendars = self.configuration.calendars
        // School working days are the school's: a pupil may live in one municipality and go to school in another.
        // The school's municipality comes from the routing configuration; a school it does not list counts by the
        // client's.
        let schoolMunicipality = schoolId.flatMap { self.configuration.table.school(id: $0)?.school.municipality } ?? municipality
        let calculator = DeadlineCalculator(
            national: calendars.nationalCalendar(municipality: municipality),
            school: calendars.schoolCalendar(schoolId: schoolId, municipality: schoolMunicipality, on: key.date),
            cache: DeadlineCache())
        self.calculators.keep(calculator, for: key)
        return calculator
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
        guard let policyId = decision.slaPolicy else { return [] }
        return self.plan(
            decision, request: request, policy: self.milestones(policyId: policyId, urgency: request.need.urgency.rawValue),
            computed: computed)
    }

    /// ``plan(_:request:computed:)`` with the decision's policy milestones already looked up (`nil` without a
    /// policy, or for a policy the configuration does not have).
    func plan(
        _ decision: Decision,
        request: ReferralRequest,
        policy: PolicyMilestones?,
        computed: [ReferralTimers.MilestoneDeadline]
    ) -> [PlannedMilestone] {
        guard let policy else { return [] }
        // Built only when a milestone was not computed already (usually all of them were, by the timers).
        var calculator: DeadlineCalculator?
        return policy.milestones.indices.map { index in
            let milestone = policy.milestones[index]
            if let startsOn = milestone.startsOn {
                return PlannedMilestone(
                    milestone: milestone.id, dueAt: nil, startsOn: startsOn.rawValue, note: policy.laterStartNotes[index])
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
