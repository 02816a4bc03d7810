import Foundation
import SteeringModel

/// Turns a decision's SLA policy into milestones with due times.
struct DecisionPlanner: Sendable {
    struct Plan {
        var milestones: [PlannedMilestone]
        var offset: (Date) -> Int
    }

    let configuration: SteeringConfiguration

    init(configuration: SteeringConfiguration) {
        self.configuration = configuration
    }

    func plan(_ decision: Decision, request: ReferralRequest) -> Plan {
        Plan(milestones: [], offset: { _ in 0 })
    }
}
