import Deadlines

/// Policies shaped like the shipped defaults, built in code for the tests.
enum TestPolicies {
    static let basis = LegalBasis(law: "Test law 1/2025", section: "1 §", version: CivilDate(iso: "2025-01-01")!)

    static let socialWelfare = SLAPolicy(
        id: "social_welfare_assessment",
        name: "Social-welfare service-need assessment",
        legalBasis: basis,
        milestones: [
            SLAMilestone(
                id: "assessment_started",
                span: .workingDays(7),
                metBy: [.firstContact, .assessmentStarted, .assessmentCompleted, .serviceStarted]
            ),
            SLAMilestone(id: "assessment_completed", span: .months(3), metBy: [.assessmentCompleted, .serviceStarted]),
        ]
    )

    static let mentalHealth = SLAPolicy(
        id: "mental_health_under_23",
        name: "Mental-health care for under-23s",
        legalBasis: basis,
        milestones: [
            SLAMilestone(
                id: "need_assessed",
                span: .weeks(3),
                roll: false,
                metBy: [.assessmentCompleted, .serviceStarted]
            ),
            SLAMilestone(
                id: "treatment_started",
                span: .months(3),
                roll: false,
                metBy: [.serviceStarted],
                startsOn: .assessmentCompleted
            ),
        ],
        variants: [
            .init(id: "specialist_assessment", milestones: [.init(id: "need_assessed", span: .weeks(6))]),
            .init(id: "therapy_guarantee", milestones: [.init(id: "treatment_started", span: .calendarDays(28))]),
        ]
    )

    static let studentWelfare = SLAPolicy(
        id: "student_welfare",
        name: "Student welfare discussion",
        legalBasis: basis,
        milestones: [
            SLAMilestone(
                id: "discussion_offered",
                span: .schoolWorkingDays(7),
                metBy: [.firstContact, .serviceStarted]
            )
        ],
        variants: [
            .init(
                id: "urgent",
                urgency: ["emergency", "urgent"],
                milestones: [.init(id: "discussion_offered", span: .sameOrNextSchoolWorkingDay)]
            )
        ]
    )

    static let emergency = SLAPolicy(
        id: "emergency",
        name: "Emergency",
        legalBasis: basis,
        warningThresholds: WarningThresholds([0.5, 0.75])!,
        milestones: [
            SLAMilestone(id: "acknowledged", span: .clockHours(1), metBy: [.acknowledged, .firstContact])
        ]
    )
}
