import Deadlines
import Foundation
import Testing

/// The timer state machine, tested as values: no clock, no sleeping.
@Suite struct ReferralTimersTests {
    static func instant(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)!
    }

    static let calculator = DeadlineCalculator()
    /// Wednesday 10 September 2025, 09:00 in Helsinki: no holiday within the 7 working days that follow.
    static let receipt = instant("2025-09-10T09:00:00+03:00")

    private func started(
        _ policy: SLAPolicy,
        urgency: String? = nil,
        variants: Set<String> = []
    ) throws -> ReferralTimers {
        var timers = ReferralTimers(referralId: "r-1")
        _ = try timers.start(
            policy: policy,
            urgency: urgency,
            variantIds: variants,
            teamId: "team-a",
            at: Self.receipt,
            calculator: Self.calculator
        )
        return timers
    }

    private func events(_ action: ReferralTimers.StatusReceivedAction) -> [SLAEvent] {
        if case .publish(let events, _) = action { return events }
        return []
    }

    private func events(_ action: ReferralTimers.ClockAdvancedAction) -> [SLAEvent] {
        if case .publish(let events) = action { return events }
        return []
    }

    // MARK: start

    @Test func startPublishesOneStartedEventPerMilestoneWithExplainedDeadlines() throws {
        var timers = ReferralTimers(referralId: "r-1")
        #expect(!timers.isStarted && timers.nextWakeUp == nil)
        let action = try timers.start(
            policy: TestPolicies.socialWelfare,
            teamId: "team-a",
            at: Self.receipt,
            calculator: Self.calculator
        )
        guard case .started(let events, let deadlines) = action else {
            Issue.record("expected started, got \(action)")
            return
        }
        #expect(events.map(\.kind) == [.started, .started])
        #expect(events.map(\.timerId) == ["r-1/assessment_started", "r-1/assessment_completed"])
        #expect(
            events.allSatisfy {
                $0.teamId == "team-a" && $0.at == Self.receipt && $0.policyId == "social_welfare_assessment"
            }
        )
        #expect(
            events.map { LocalRFC3339.format($0.dueAt) } == [
                "2025-09-19T23:59:59.999+03:00", "2025-12-10T23:59:59.999+02:00",
            ]
        )
        #expect(deadlines.map(\.deadline.dueDate.description) == ["2025-09-19", "2025-12-10"])
        #expect(
            deadlines[0].deadline.explanation.skippedDays.map(\.description) == [
                "2025-09-13 Saturday", "2025-09-14 Sunday",
            ]
        )
        // The first warning: 75 % of the way from the receipt to the breach at 2025-09-20T00:00+03:00.
        #expect(timers.nextWakeUp.map { LocalRFC3339.format($0) } == "2025-09-17T14:15:00.000+03:00")
        #expect(timers.timers.map(\.state) == [.running, .running])
    }

    @Test func aReplayedStartChangesNothing() throws {
        var timers = try started(TestPolicies.socialWelfare)
        let before = timers
        let action = try timers.start(
            policy: TestPolicies.mentalHealth,
            teamId: "team-b",
            at: Self.receipt,
            calculator: Self.calculator
        )
        #expect(action == .alreadyStarted)
        #expect(timers == before)
    }

    @Test func nothingAppliesBeforeStart() throws {
        var timers = ReferralTimers(referralId: "r-1")
        #expect(try timers.statusReceived(.firstContact, at: Self.receipt, calculator: Self.calculator) == .notStarted)
        #expect(timers.reassigned(to: "team-b") == .notStarted)
        #expect(timers.clockAdvanced(to: Self.instant("2030-01-01T00:00:00Z")) == .nothingDue)
        #expect(!timers.isFinished)
    }

    // MARK: warnings and breaches

    @Test func warningsThenBreachFireExactlyOnceAndNextWakeUpFollows() throws {
        var timers = try started(TestPolicies.emergency)  // 1 clock hour, warnings at 50 % and 75 %
        let t = Self.receipt
        #expect(timers.nextWakeUp == t.addingTimeInterval(1800))
        #expect(timers.clockAdvanced(to: t.addingTimeInterval(1799)) == .nothingDue)

        let half = events(timers.clockAdvanced(to: t.addingTimeInterval(1800)))
        #expect(half.map(\.kind) == [.warning])
        #expect(half.first?.threshold == 0.5)
        #expect(half.first?.lateBy == nil)
        #expect(timers.clockAdvanced(to: t.addingTimeInterval(1800)) == .nothingDue)
        #expect(timers.nextWakeUp == t.addingTimeInterval(2700))

        #expect(events(timers.clockAdvanced(to: t.addingTimeInterval(2700))).map(\.threshold) == [0.75])
        #expect(timers.nextWakeUp.map { LocalRFC3339.format($0) } == "2025-09-10T10:00:00.001+03:00")
        // Due at 10:00:00.000 inclusive: still in time at that instant.
        #expect(timers.clockAdvanced(to: t.addingTimeInterval(3600)) == .nothingDue)

        let breach = events(timers.clockAdvanced(to: Self.instant("2025-09-10T10:00:00.001+03:00")))
        #expect(breach.map(\.kind) == [.breached])
        #expect(breach.first?.dueAt == t.addingTimeInterval(3600))
        #expect(timers.timers.map(\.state) == [.breached])
        #expect(timers.nextWakeUp == nil)
        #expect(timers.clockAdvanced(to: t.addingTimeInterval(86_400)) == .nothingDue)
        #expect(!timers.isFinished)
    }

    @Test func metBeforeDueNeverBreaches() throws {
        var timers = try started(TestPolicies.emergency)
        let action = try timers.statusReceived(
            .acknowledged,
            at: Self.receipt.addingTimeInterval(600),
            calculator: Self.calculator
        )
        let met = events(action)
        #expect(met.map(\.kind) == [.met])
        #expect(met.first?.lateBy == nil)
        #expect(met.first?.status == .acknowledged)
        #expect(timers.nextWakeUp == nil)
        #expect(timers.isFinished)
        #expect(timers.clockAdvanced(to: Self.receipt.addingTimeInterval(86_400)) == .nothingDue)
        #expect(try timers.statusReceived(.acknowledged, at: Self.receipt, calculator: Self.calculator) == .noEffect)
    }

    @Test func metAfterBreachIsRecordedAsMetLate() throws {
        var timers = try started(TestPolicies.emergency)
        _ = timers.clockAdvanced(to: Self.receipt.addingTimeInterval(4000))
        let met = events(
            try timers.statusReceived(
                .firstContact,
                at: Self.receipt.addingTimeInterval(5400),
                calculator: Self.calculator
            )
        )
        #expect(met.map(\.kind) == [.met])
        #expect(met.first?.lateBy == 1800)
        #expect(timers.timers.map(\.state) == [.met])
    }

    /// The router was down across the warning and the breach, and the team's first contact (after the due time)
    /// is read before the clock fires: the breach is not lost. The warning and the breach fire first, published
    /// when the router is back and marked late, then `met` with how late it was; the other milestone is left to
    /// the clock, and nothing fires twice.
    @Test func metLateWhileTheRouterWasDownStillBreaches() throws {
        var timers = try started(TestPolicies.socialWelfare)
        let contact = Self.instant("2025-09-21T10:00:00+03:00")
        let back = Self.instant("2025-09-22T08:00:00+03:00")
        let published = events(
            try timers.statusReceived(.firstContact, at: contact, calculator: Self.calculator, now: back))
        #expect(published.map(\.kind) == [.warning, .breached, .met])
        #expect(published.allSatisfy { $0.milestone == "assessment_started" })
        #expect(published[0].threshold == 0.75 && published[0].at == back)
        #expect(published[0].lateBy == back.timeIntervalSince(Self.instant("2025-09-17T14:15:00+03:00")))
        #expect(published[1].at == back)
        #expect(published[1].lateBy == back.timeIntervalSince(Self.instant("2025-09-20T00:00:00+03:00")))
        #expect(published[2].at == contact && published[2].status == .firstContact)
        #expect(published[2].lateBy == 122_400.001)  // from the due time, 2025-09-19T23:59:59.999+03:00
        #expect(timers.timers.map(\.state) == [.met, .running])
        #expect(timers.timers[0].warningsFired == 1)
        #expect(timers.clockAdvanced(to: back) == .nothingDue)
    }

    /// Closed after the due time, read before the clock fired: breached, then cancelled.
    @Test(arguments: [ReferralStatus.closed, .withdrawn])
    func closedLateWhileTheRouterWasDownStillBreaches(status: ReferralStatus) throws {
        var timers = try started(TestPolicies.socialWelfare)
        let closed = Self.instant("2025-09-21T10:00:00+03:00")
        let back = Self.instant("2025-09-22T08:00:00+03:00")
        let published = events(
            try timers.statusReceived(status, at: closed, calculator: Self.calculator, now: back))
        #expect(published.map(\.kind) == [.warning, .breached, .cancelled, .cancelled])
        #expect(
            published.map(\.milestone) == ["assessment_started", "assessment_started", "assessment_started", "assessment_completed"])
        #expect(timers.timers.map(\.state) == [.cancelled, .cancelled])
    }

    /// Met in time while the router was down (after the warning, before the due time): the warning fires, late,
    /// and no breach; a status the clock has not reached (from a clock ahead of the router's) fires nothing past
    /// the router's own time.
    @Test func aStatusFiresOnlyWhatFellDueBeforeItAndBeforeNow() throws {
        var inTime = try started(TestPolicies.socialWelfare)
        let contact = Self.instant("2025-09-18T10:00:00+03:00")
        let back = Self.instant("2025-09-22T08:00:00+03:00")
        let published = events(
            try inTime.statusReceived(.firstContact, at: contact, calculator: Self.calculator, now: back))
        #expect(published.map(\.kind) == [.warning, .met])
        #expect(published[1].lateBy == nil)

        var ahead = try started(TestPolicies.socialWelfare)
        let now = Self.instant("2025-09-16T12:00:00+03:00")
        let future = events(try ahead.statusReceived(.firstContact, at: contact, calculator: Self.calculator, now: now))
        #expect(future.map(\.kind) == [.met])

        // Without `now`, the update's own time is the limit.
        var noClock = try started(TestPolicies.socialWelfare)
        let late = Self.instant("2025-09-21T10:00:00+03:00")
        let withoutClock = events(try noClock.statusReceived(.firstContact, at: late, calculator: Self.calculator))
        #expect(withoutClock.map(\.kind) == [.warning, .breached, .met])
    }

    /// The router was down across the warning and the breach: both fire once when it is back, marked late,
    /// in the order they fell due; the next milestone's warning is not yet due.
    @Test func timersThatFellDueDuringDowntimeFireOnceMarkedLate() throws {
        var timers = try started(TestPolicies.socialWelfare)
        let back = Self.instant("2025-09-22T08:00:00+03:00")
        let fired = events(timers.clockAdvanced(to: back))
        #expect(fired.map(\.kind) == [.warning, .breached])
        #expect(fired.allSatisfy { $0.milestone == "assessment_started" && $0.at == back })
        #expect(fired[0].lateBy == back.timeIntervalSince(Self.instant("2025-09-17T14:15:00+03:00")))
        #expect(fired[1].lateBy == back.timeIntervalSince(Self.instant("2025-09-20T00:00:00+03:00")))
        #expect(timers.clockAdvanced(to: back) == .nothingDue)
        #expect(timers.timers.map(\.state) == [.breached, .running])
    }

    @Test(arguments: [(0.0, nil), (30.0, nil), (60.0, nil), (61.0, 61.0 as Double?)])
    func lateBeyondToleranceOnly(delay: Double, expected: Double?) throws {
        var timers = try started(TestPolicies.emergency)
        let fired = events(timers.clockAdvanced(to: Self.receipt.addingTimeInterval(1800 + delay)))
        #expect(fired.map(\.lateBy) == [expected])
    }

    // MARK: status updates

    @Test(arguments: [ReferralStatus.closed, .withdrawn])
    func closingCancelsEveryOpenTimer(status: ReferralStatus) throws {
        var timers = try started(TestPolicies.mentalHealth)
        _ = timers.clockAdvanced(to: Self.instant("2025-10-02T00:00:00+03:00"))  // need_assessed breached
        #expect(timers.timers.map(\.state) == [.breached, .waiting])
        let at = Self.instant("2025-10-03T12:00:00+03:00")
        let cancelled = events(try timers.statusReceived(status, at: at, calculator: Self.calculator))
        #expect(cancelled.map(\.kind) == [.cancelled])  // the waiting milestone never started: nothing to cancel
        #expect(cancelled.first?.status == status)
        #expect(timers.timers.map(\.state) == [.cancelled, .cancelled])
        #expect(timers.isFinished && timers.nextWakeUp == nil)
        #expect(try timers.statusReceived(.serviceStarted, at: at, calculator: Self.calculator) == .noEffect)
        #expect(try timers.statusReceived(status, at: at, calculator: Self.calculator) == .noEffect)
    }

    /// Treatment within 3 months of the need being established: started by `assessment_completed`.
    @Test func aMilestoneStartsWhenItsStatusArrives() throws {
        var timers = try started(TestPolicies.mentalHealth)
        #expect(timers.timers.map(\.state) == [.running, .waiting])
        #expect(timers.nextWakeUp.map { LocalRFC3339.format($0) } == "2025-09-26T14:15:00.000+03:00")

        let established = Self.instant("2025-09-25T14:00:00+03:00")
        let action = try timers.statusReceived(.assessmentCompleted, at: established, calculator: Self.calculator)
        guard case .publish(let events, let deadlines) = action else {
            Issue.record("expected events, got \(action)")
            return
        }
        #expect(events.map(\.kind) == [.met, .started])
        #expect(events.map(\.milestone) == ["need_assessed", "treatment_started"])
        #expect(events[1].at == established)
        // 25 December 2025 is Christmas Day, but health-care guarantees do not roll.
        #expect(LocalRFC3339.format(events[1].dueAt) == "2025-12-25T23:59:59.999+02:00")
        #expect(deadlines.map(\.milestone) == ["treatment_started"])
        #expect(deadlines.first?.deadline.rolledDate.description == "2025-12-29")

        let treated = self.events(
            try timers.statusReceived(
                .serviceStarted,
                at: Self.instant("2025-11-01T10:00:00+02:00"),
                calculator: Self.calculator
            )
        )
        #expect(treated.map(\.kind) == [.met])
        #expect(timers.isFinished)
    }

    @Test func aWaitingMilestoneMetBeforeItStartsNeverStarts() throws {
        var timers = try started(TestPolicies.mentalHealth, variants: ["therapy_guarantee"])
        let at = Self.instant("2025-09-20T10:00:00+03:00")
        let met = events(try timers.statusReceived(.serviceStarted, at: at, calculator: Self.calculator))
        #expect(met.map(\.milestone) == ["need_assessed"])
        #expect(timers.timers.map(\.state) == [.met, .met])
        #expect(try timers.statusReceived(.assessmentCompleted, at: at, calculator: Self.calculator) == .noEffect)
        #expect(timers.isFinished)
    }

    @Test func urgencyVariantsAreStarted() throws {
        let timers = try started(TestPolicies.studentWelfare, urgency: "urgent")
        // No school calendar configured: national working days stand in; the next one after Wednesday is Thursday.
        #expect(timers.timers.first.map { LocalRFC3339.format($0.dueAt) } == "2025-09-11T23:59:59.999+03:00")
        #expect(timers.timers.first?.span == .sameOrNextSchoolWorkingDay)
    }

    // MARK: reassignment

    @Test func reassignmentKeepsTheClockAndNamesTheNewOwner() throws {
        var timers = try started(TestPolicies.socialWelfare)
        let dues = timers.timers.map(\.dueAt)
        #expect(timers.reassigned(to: "team-b") == .ownerChanged(previous: "team-a", current: "team-b"))
        #expect(timers.reassigned(to: "team-b") == .unchanged)
        #expect(timers.teamId == "team-b")
        #expect(timers.timers.map(\.dueAt) == dues)
        let fired = events(timers.clockAdvanced(to: Self.instant("2025-09-18T00:00:00+03:00")))
        #expect(fired.map(\.teamId) == ["team-b"])

        let viaStatus = try timers.statusReceived(
            .reassigned,
            at: Self.receipt,
            teamId: "team-c",
            calculator: Self.calculator
        )
        #expect(viaStatus == .ownerChanged(previous: "team-b", current: "team-c"))
        #expect(try timers.statusReceived(.reassigned, at: Self.receipt, calculator: Self.calculator) == .noEffect)
        #expect(timers.timers.map(\.dueAt) == dues)
    }

    // MARK: persistence

    @Test func stateRoundTripsAndContinuesIdentically() throws {
        var timers = try started(TestPolicies.mentalHealth, variants: ["specialist_assessment"])
        _ = try timers.statusReceived(
            .assessmentCompleted,
            at: Self.instant("2025-09-15T09:00:00+03:00"),
            calculator: Self.calculator
        )
        _ = timers.clockAdvanced(to: Self.instant("2025-11-25T09:00:00+02:00"))
        let data = try JSONEncoder().encode(timers)
        var restored = try JSONDecoder().decode(ReferralTimers.self, from: data)
        #expect(restored == timers)
        let later = Self.instant("2026-01-01T00:00:00+02:00")
        #expect(restored.clockAdvanced(to: later) == timers.clockAdvanced(to: later))
        #expect(restored == timers)
    }

    @Test func timersAreCompactValues() {
        #expect(MemoryLayout<MilestoneTimer>.size <= 72)
        #expect(MemoryLayout<WarningThresholds>.size == 8)
        #expect(MemoryLayout<ReferralStatusSet>.size == 2)
        #expect(MilestoneTimer.timerId(referralId: "ref-9", milestone: "answered") == "ref-9/answered")
    }
}
