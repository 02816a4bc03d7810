import struct Foundation.Date
import typealias Foundation.TimeInterval

/// The SLA timers of one referral: a pure state machine, persisted as a value (Codable) and tested as one.
///
/// Events are the methods' names; each returns an action telling the caller what to publish:
/// - ``start(policy:urgency:variantIds:teamId:at:calculator:)`` when the referral is assigned: every milestone
///   that starts with the policy begins to run (`started`); milestones that start on a later status wait.
/// - ``clockAdvanced(to:lateTolerance:)`` when the scheduler wakes (at ``nextWakeUp``): due `warning`s and
///   `breached` fire, once each, in the order they fell due. After downtime they fire when the router is back,
///   with `lateBy`.
/// - ``statusReceived(_:at:teamId:calculator:now:lateTolerance:)`` for each status update: `met` for the
///   milestones it meets, `started` for the milestones it starts, `cancelled` for every open one on `closed` or
///   `withdrawn`.
/// - ``reassigned(to:)``: the clock never resets; later events name the new team.
///
/// Decisions recorded here:
/// - A milestone met after its breach is recorded as `met` with `lateBy` (how long after `dueAt`); the
///   `breached` event already published stands.
/// - A milestone met before its start status arrived (a service started before the need was recorded as
///   established, say) becomes `met` silently: it never ran, so it publishes nothing and never starts.
/// - A waiting milestone is cancelled silently by `closed` or `withdrawn` (no `started` was ever published).
/// - A status update that meets or cancels a running milestone first fires what of it fell due before the
///   update's time (and before `now`): after downtime, a milestone met or closed late is still `breached`, once,
///   marked late, before its `met` or `cancelled`. Other milestones are left to the clock. Feed pending status
///   updates before advancing the clock after downtime, so that a milestone met in time while the router was
///   down is not breached first.
public struct ReferralTimers: Sendable, Hashable, Codable {
    /// What ``start(policy:urgency:variantIds:teamId:at:calculator:)`` did.
    public enum StartAction: Sendable, Hashable {
        /// Publish `events` (one `started` per running milestone); `deadlines` explain each due time.
        case started(events: [SLAEvent], deadlines: [MilestoneDeadline])
        /// The timers were started before (a replayed assignment): nothing changes.
        case alreadyStarted
    }

    /// What ``statusReceived(_:at:teamId:calculator:now:lateTolerance:)`` did.
    public enum StatusReceivedAction: Sendable, Hashable {
        /// Publish these `met`, `started` and `cancelled` events; `deadlines` explain milestones started now.
        /// The lists are empty when only a waiting milestone changed (met or cancelled before it started).
        case publish(events: [SLAEvent], deadlines: [MilestoneDeadline])
        /// A `reassigned` update named a new owner.
        case ownerChanged(previous: String, current: String)
        /// Nothing changed: no open milestone is met, started or cancelled by the status.
        case noEffect
        /// The timers were never started; the status cannot be applied.
        case notStarted
    }

    /// What ``clockAdvanced(to:lateTolerance:)`` did.
    public enum ClockAdvancedAction: Sendable, Hashable {
        /// Publish these `warning` and `breached` events, in the order they fell due.
        case publish([SLAEvent])
        /// Nothing fell due.
        case nothingDue
    }

    /// What ``reassigned(to:)`` did.
    public enum ReassignedAction: Sendable, Hashable {
        /// The owner changed; the deadlines stay as they were.
        case ownerChanged(previous: String, current: String)
        /// The team already owns the case.
        case unchanged
        /// The timers were never started.
        case notStarted
    }

    /// A due time computed for a milestone, with its explanation.
    public struct MilestoneDeadline: Sendable, Hashable {
        public var timerId: String
        public var milestone: String
        public var deadline: Deadline
    }

    public let referralId: String
    /// The policy, once started.
    public private(set) var policyId: String?
    /// The owning team, once started; changed by reassignment.
    public private(set) var teamId: String?
    /// One timer per milestone, in policy order.
    public private(set) var timers: [MilestoneTimer]

    /// Timers for `referralId`, not yet started.
    public init(referralId: String) {
        self.referralId = referralId
        self.policyId = nil
        self.teamId = nil
        self.timers = []
    }

    /// Whether ``start(policy:urgency:variantIds:teamId:at:calculator:)`` has run.
    public var isStarted: Bool {
        self.policyId != nil
    }

    /// Whether every timer is met or cancelled, so the state can be dropped.
    public var isFinished: Bool {
        self.isStarted && !self.timers.contains { $0.state.isOpen }
    }

    /// The earliest instant at which a pending warning or breach fires; `nil` when none is pending.
    public var nextWakeUp: Date? {
        self.timers.lazy.compactMap { $0.nextFiringMilliseconds }.min().map { Date(epochMilliseconds: $0) }
    }

    /// The referral was assigned: start the policy's timers.
    ///
    /// - Parameters:
    ///   - policy: the SLA policy of the decision.
    ///   - urgency: the request's urgency, selecting urgency variants.
    ///   - variantIds: variants selected by name.
    ///   - teamId: the owning team.
    ///   - at: the instant the policy starts from (the receipt of the request).
    ///   - calculator: the calendars of the referral's municipality and school.
    /// - Throws: ``DeadlineError`` when a due time cannot be computed; the state is then unchanged.
    public mutating func start(
        policy: SLAPolicy,
        urgency: String? = nil,
        variantIds: Set<String> = [],
        teamId: String,
        at: Date,
        calculator: DeadlineCalculator
    ) throws(DeadlineError) -> StartAction {
        guard !self.isStarted else { return .alreadyStarted }
        return try self.start(
            policyId: policy.id, milestones: policy.effectiveMilestones(urgency: urgency, variantIds: variantIds),
            defaultThresholds: policy.warningThresholds, teamId: teamId, at: at, calculator: calculator)
    }

    /// The referral was assigned: start the timers of milestones resolved before, for callers that keep a
    /// policy's ``SLAPolicy/effectiveMilestones(urgency:variantIds:)`` for many referrals.
    ///
    /// - Parameters:
    ///   - policyId: the SLA policy of the decision.
    ///   - milestones: the policy's milestones in force for the request, in policy order.
    ///   - defaultThresholds: the policy's warning thresholds, for milestones that set none.
    ///   - teamId: the owning team.
    ///   - at: the instant the policy starts from (the receipt of the request).
    ///   - calculator: the calendars of the referral's municipality and school.
    /// - Throws: ``DeadlineError`` when a due time cannot be computed; the state is then unchanged.
    public mutating func start(
        policyId: String,
        milestones: [SLAMilestone],
        defaultThresholds: WarningThresholds,
        teamId: String,
        at: Date,
        calculator: DeadlineCalculator
    ) throws(DeadlineError) -> StartAction {
        guard !self.isStarted else { return .alreadyStarted }
        var timers = milestones.map { MilestoneTimer(milestone: $0, defaultThresholds: defaultThresholds) }
        var events: [SLAEvent] = []
        var deadlines: [MilestoneDeadline] = []
        events.reserveCapacity(timers.count)
        deadlines.reserveCapacity(timers.count)
        for index in timers.indices where timers[index].startsOn == nil {
            let deadline = try Self.run(&timers[index], from: at, calculator: calculator)
            let started = Self.event(
                .started, timers[index], of: self.referralId, policyId: policyId, teamId: teamId, at: at)
            // The deadline takes the event's timer id (made once).
            deadlines.append(self.milestoneDeadline(timers[index], deadline, timerId: started.timerId))
            events.append(started)
        }
        self.policyId = policyId
        self.teamId = teamId
        self.timers = timers
        return .started(events: events, deadlines: deadlines)
    }

    /// A status update arrived for the referral.
    ///
    /// - Parameters:
    ///   - status: the reported status.
    ///   - at: when it happened (the update's `at`).
    ///   - teamId: for `reassigned`, the new owner; ignored otherwise.
    ///   - calculator: the calendars, for milestones the status starts.
    ///   - now: the current instant (default `at`). A warning or breach of a milestone the update meets or
    ///     cancels that fell due before `at` and before `now` fires first, published at `now` (after downtime,
    ///     say: a milestone met or closed after its due time was breached).
    ///   - lateTolerance: as in ``clockAdvanced(to:lateTolerance:)``.
    /// - Throws: ``DeadlineError`` when a milestone the status starts cannot be computed; the state is then
    ///   unchanged.
    public mutating func statusReceived(
        _ status: ReferralStatus,
        at: Date,
        teamId: String? = nil,
        calculator: DeadlineCalculator,
        now: Date? = nil,
        lateTolerance: TimeInterval = 60
    ) throws(DeadlineError) -> StatusReceivedAction {
        guard let policyId = self.policyId, let owner = self.teamId else { return .notStarted }
        let now = now ?? at
        // What fell due before the update happened, as far as the clock has got: fired before the update closes it.
        let dueBy = min(at.epochMilliseconds, now.epochMilliseconds)
        if status == .reassigned {
            guard let teamId, case .ownerChanged(let previous, let current) = self.reassigned(to: teamId) else {
                return .noEffect
            }
            return .ownerChanged(previous: previous, current: current)
        }
        var timers = self.timers
        var events: [SLAEvent] = []
        var deadlines: [MilestoneDeadline] = []
        for index in timers.indices where timers[index].state.isOpen {
            let timer = timers[index]
            if status.cancelsOpenTimers {
                if timer.state == .running {
                    events += Self.fire(
                        &timers[index], of: self.referralId, dueBy: dueBy, now: now, policyId: policyId,
                        teamId: owner, lateTolerance: lateTolerance
                    ).map(\.event)
                }
                timers[index].state = .cancelled
                if timer.state != .waiting {
                    events.append(
                        Self.event(
                            .cancelled, timer, of: self.referralId, policyId: policyId, teamId: owner, at: at,
                            status: status)
                    )
                }
            } else if timer.state == .waiting {
                if timer.metBy.contains(status) {
                    timers[index].state = .met
                } else if timer.startsOn == status {
                    let deadline = try Self.run(&timers[index], from: at, calculator: calculator)
                    deadlines.append(self.milestoneDeadline(timers[index], deadline))
                    events.append(
                        Self.event(.started, timers[index], of: self.referralId, policyId: policyId, teamId: owner, at: at))
                }
            } else if timer.metBy.contains(status) {
                if timer.state == .running {
                    events += Self.fire(
                        &timers[index], of: self.referralId, dueBy: dueBy, now: now, policyId: policyId,
                        teamId: owner, lateTolerance: lateTolerance
                    ).map(\.event)
                }
                timers[index].state = .met
                let late = at.epochMilliseconds - timer.dueMilliseconds
                events.append(
                    Self.event(
                        .met,
                        timer,
                        of: self.referralId,
                        policyId: policyId,
                        teamId: owner,
                        at: at,
                        lateBy: late > 0 ? Double(late) / 1000 : nil,
                        status: status
                    )
                )
            }
        }
        guard timers != self.timers else { return .noEffect }
        self.timers = timers
        return .publish(events: events, deadlines: deadlines)
    }

    /// The wall clock reached `now`: fire every warning and breach due by then, each once.
    ///
    /// - Parameters:
    ///   - now: the current instant.
    ///   - lateTolerance: a warning or breach firing more than this many seconds after its instant carries
    ///     `lateBy` (default 60 s, so a scheduler's ordinary jitter does not mark events late).
    public mutating func clockAdvanced(to now: Date, lateTolerance: TimeInterval = 60) -> ClockAdvancedAction {
        guard let policyId = self.policyId, let owner = self.teamId else { return .nothingDue }
        var fired: [(scheduled: Int64, event: SLAEvent)] = []
        for index in self.timers.indices where self.timers[index].state == .running {
            fired += Self.fire(
                &self.timers[index], of: self.referralId, dueBy: now.epochMilliseconds, now: now, policyId: policyId,
                teamId: owner, lateTolerance: lateTolerance)
        }
        guard !fired.isEmpty else { return .nothingDue }
        // A stable sort keeps policy order between events due at the same instant.
        let ordered = fired.enumerated().sorted {
            ($0.element.scheduled, $0.offset) < ($1.element.scheduled, $1.offset)
        }
        return .publish(ordered.map(\.element.event))
    }

    /// Fires a running timer's warnings and breach due by `dueBy` (ms since 1970), each once, in the order they
    /// fell due: published at `now`, with `lateBy` from each one's instant.
    private static func fire(
        _ timer: inout MilestoneTimer,
        of referralId: String,
        dueBy: Int64,
        now: Date,
        policyId: String,
        teamId: String,
        lateTolerance: TimeInterval
    ) -> [(scheduled: Int64, event: SLAEvent)] {
        let nowMilliseconds = now.epochMilliseconds
        var fired: [(scheduled: Int64, event: SLAEvent)] = []
        while Int(timer.warningsFired) < timer.thresholds.count {
            let threshold = Int(timer.warningsFired)
            let scheduled = timer.warningMilliseconds(at: threshold)
            guard scheduled <= dueBy else { break }
            timer.warningsFired += 1
            let event = Self.event(
                .warning, timer, of: referralId, policyId: policyId, teamId: teamId, at: now,
                threshold: timer.thresholds.fraction(at: threshold),
                lateBy: Self.lateBy(scheduled, now: nowMilliseconds, tolerance: lateTolerance))
            fired.append((scheduled, event))
        }
        let breach = timer.breachMilliseconds
        if breach <= dueBy {
            timer.state = .breached
            let event = Self.event(
                .breached, timer, of: referralId, policyId: policyId, teamId: teamId, at: now,
                lateBy: Self.lateBy(breach, now: nowMilliseconds, tolerance: lateTolerance))
            fired.append((breach, event))
        }
        return fired
    }

    /// A warning or breach the timers record as fired: what an event the clock published says it is.
    public struct FiredEvent: Sendable, Hashable {
        public var milestone: String
        /// `warning` or `breached`.
        public var kind: SLAEvent.Kind
        /// For a warning, its fraction of the span (as in the event).
        public var threshold: Double?

        public init(milestone: String, kind: SLAEvent.Kind, threshold: Double? = nil) {
            self.milestone = milestone
            self.kind = kind
            self.threshold = threshold
        }
    }

    /// The warnings and breaches the timers record as fired, in policy order and, per milestone, in the order they
    /// fired: every warning of a started timer, whatever happened to it since, and the breach of a breached one (a
    /// milestone met late does not say whether its breach fired before).
    public var firedEvents: [FiredEvent] {
        var events: [FiredEvent] = []
        for timer in self.timers where timer.startMilliseconds != 0 {
            for index in 0..<Int(timer.warningsFired) {
                events.append(FiredEvent(milestone: timer.milestone, kind: .warning, threshold: timer.thresholds.fraction(at: index)))
            }
            if timer.state == .breached {
                events.append(FiredEvent(milestone: timer.milestone, kind: .breached))
            }
        }
        return events
    }

    /// The events of warnings and breaches recorded as fired, published again at `now` (whose first publication
    /// is not known to have landed): the same event, fired `now`, with `lateBy` from its scheduled instant.
    public func republished(_ events: [FiredEvent], at now: Date, lateTolerance: TimeInterval = 60) -> [SLAEvent] {
        guard let policyId = self.policyId, let owner = self.teamId else { return [] }
        let nowMilliseconds = now.epochMilliseconds
        return events.compactMap { fired in
            guard let timer = self.timers.first(where: { $0.milestone == fired.milestone }),
                let scheduled = Self.scheduledMilliseconds(of: fired, in: timer)
            else { return nil }
            return Self.event(
                fired.kind, timer, of: self.referralId, policyId: policyId, teamId: owner, at: now, threshold: fired.threshold,
                lateBy: Self.lateBy(scheduled, now: nowMilliseconds, tolerance: lateTolerance))
        }
    }

    /// How late an event due at `scheduled` is at `now` (ms since 1970), when more than `tolerance` seconds.
    private static func lateBy(_ scheduled: Int64, now: Int64, tolerance: TimeInterval) -> TimeInterval? {
        let late = now - scheduled
        return late > Int64((tolerance * 1000).rounded()) ? Double(late) / 1000 : nil
    }

    /// When a warning or breach was due to fire (ms since 1970); `nil` for another event or an unknown milestone.
    public func scheduledMilliseconds(of event: FiredEvent) -> Int64? {
        guard let timer = self.timers.first(where: { $0.milestone == event.milestone }) else { return nil }
        return Self.scheduledMilliseconds(of: event, in: timer)
    }

    private static func scheduledMilliseconds(of event: FiredEvent, in timer: MilestoneTimer) -> Int64? {
        switch event.kind {
        case .warning:
            guard let index = (0..<timer.thresholds.count).first(where: { timer.thresholds.fraction(at: $0) == event.threshold })
            else { return nil }
            return timer.warningMilliseconds(at: index)
        case .breached:
            return timer.breachMilliseconds
        default:
            return nil
        }
    }

    /// The case was handed to `teamId`. The deadlines stay; later events name the new team.
    public mutating func reassigned(to teamId: String) -> ReassignedAction {
        guard let previous = self.teamId else { return .notStarted }
        guard previous != teamId else { return .unchanged }
        self.teamId = teamId
        return .ownerChanged(previous: previous, current: teamId)
    }

    /// Computes the timer's deadline from `start` and sets it running.
    private static func run(
        _ timer: inout MilestoneTimer,
        from start: Date,
        calculator: DeadlineCalculator
    ) throws(DeadlineError) -> Deadline {
        let deadline = try calculator.deadline(timer.span, from: start, roll: timer.roll)
        timer.run(from: start.epochMilliseconds, due: deadline.dueAt.epochMilliseconds)
        return deadline
    }

    private func milestoneDeadline(_ timer: MilestoneTimer, _ deadline: Deadline, timerId: String? = nil) -> MilestoneDeadline {
        MilestoneDeadline(
            timerId: timerId ?? MilestoneTimer.timerId(referralId: self.referralId, milestone: timer.milestone),
            milestone: timer.milestone,
            deadline: deadline
        )
    }

    private static func event(
        _ kind: SLAEvent.Kind,
        _ timer: MilestoneTimer,
        of referralId: String,
        policyId: String,
        teamId: String,
        at: Date,
        threshold: Double? = nil,
        lateBy: TimeInterval? = nil,
        status: ReferralStatus? = nil
    ) -> SLAEvent {
        SLAEvent(
            referralId: referralId,
            policyId: policyId,
            milestone: timer.milestone,
            kind: kind,
            dueAt: timer.dueAt,
            at: at,
            teamId: teamId,
            threshold: threshold,
            lateBy: lateBy,
            status: status
        )
    }
}
