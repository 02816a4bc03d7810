import struct Foundation.Date

/// A computed due time with both the raw and the rolled date and an explanation.
///
/// Day-based deadlines are due at the end of the local day: ``dueAt`` is `23:59:59.999` local time of
/// ``dueDate`` (see ``CivilDate/endOfDay(in:)``). A milestone reached at or before ``dueAt`` is met in time; it
/// is breached from the next millisecond on, which is the next local midnight for day-based deadlines.
public struct Deadline: Sendable, Hashable, Codable {
    /// The span counted.
    public var span: DeadlineSpan
    /// The instant counting starts from (the receipt or the starting status update).
    public var start: Date
    /// The local date of ``start``; it is not counted (Act 150/1930 2 §).
    public var startDate: CivilDate
    /// The date the count ends on, before any roll.
    public var rawDate: CivilDate
    /// ``rawDate`` moved to the next day on which a deadline may end (Act 150/1930 5 §); equal when no move.
    public var rolledDate: CivilDate
    /// Whether the policy applies the roll: when `false` the raw date is the target (health-care guarantees).
    public var rollApplied: Bool
    /// The instant at which the raw date ends (or, for clock hours, the exact due instant).
    public var rawDueAt: Date
    /// The target instant: the end of ``dueDate``, or the exact instant for clock hours.
    public var dueAt: Date
    /// How the due time was found.
    public var explanation: Explanation

    public init(
        span: DeadlineSpan,
        start: Date,
        startDate: CivilDate,
        rawDate: CivilDate,
        rolledDate: CivilDate,
        rollApplied: Bool,
        rawDueAt: Date,
        dueAt: Date,
        explanation: Explanation
    ) {
        self.span = span
        self.start = start
        self.startDate = startDate
        self.rawDate = rawDate
        self.rolledDate = rolledDate
        self.rollApplied = rollApplied
        self.rawDueAt = rawDueAt
        self.dueAt = dueAt
        self.explanation = explanation
    }

    /// The target date: ``rolledDate`` when the roll applies, else ``rawDate``.
    public var dueDate: CivilDate {
        self.rollApplied ? self.rolledDate : self.rawDate
    }

    /// Whether the raw date had to move.
    public var wasRolled: Bool {
        self.rawDate != self.rolledDate
    }

    /// ``dueAt`` in milliseconds since 1970-01-01T00:00:00Z.
    public var dueAtMilliseconds: Int64 {
        self.dueAt.epochMilliseconds
    }
}

extension Deadline {
    /// A day passed over while counting or rolling, and why.
    public struct SkippedDay: Sendable, Hashable, Codable, CustomStringConvertible {
        public var date: CivilDate
        public var reason: NonWorkingReason

        public init(date: CivilDate, reason: NonWorkingReason) {
            self.date = date
            self.reason = reason
        }

        /// `2025-04-18 Good Friday (pitkäperjantai)`, `2025-04-19 Saturday`.
        public var description: String {
            "\(self.date) \(self.reason)"
        }
    }

    /// Why a deadline is due when it is: the rule, the calendar and the days skipped.
    ///
    /// A value whose members live in one shared, immutable box, replaced on a change: a deadline is copied from the
    /// calculator's cache into the timers, the plan and the assignment, and each copy of the members themselves cost a
    /// retain and a release of each string and array. (Only a deadline being computed changes its explanation.)
    public struct Explanation: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The members, compared, hashed and coded as the synthesised conformances of the struct did.
        private struct Members: Hashable, Codable {
            var rule: String
            var calendar: String
            var calendarFellBack: Bool
            var skippedDays: [SkippedDay]
            var rolledPast: [SkippedDay]
            var notes: [String]
        }

        private final class Storage: Sendable {
            let members: Members
            init(_ members: Members) { self.members = members }
        }

        private var storage: Storage

        /// The members with one of them changed, in a new box (the old one may be shared).
        private mutating func change(_ body: (inout Members) -> Void) {
            var members = self.storage.members
            body(&members)
            self.storage = Storage(members)
        }

        /// The counting rule in words, with its source.
        public var rule: String {
            get { self.storage.members.rule }
            set { self.change { $0.rule = newValue } }
        }
        /// The identifier of the calendar used, e.g. `fi-national` or `school/lahti`.
        public var calendar: String {
            get { self.storage.members.calendar }
            set { self.change { $0.calendar = newValue } }
        }
        /// `true` when a school calendar was wanted but none applied, so national working days were counted.
        public var calendarFellBack: Bool {
            get { self.storage.members.calendarFellBack }
            set { self.change { $0.calendarFellBack = newValue } }
        }
        /// Days inside the count that were not counted.
        public var skippedDays: [SkippedDay] {
            get { self.storage.members.skippedDays }
            set { self.change { $0.skippedDays = newValue } }
        }
        /// Days the deadline moved past because it may not end on them (Act 150/1930 5 §).
        public var rolledPast: [SkippedDay] {
            get { self.storage.members.rolledPast }
            set { self.change { $0.rolledPast = newValue } }
        }
        /// Anything else a reader needs: why the calendar fell back, a roll not applied, a count that left the
        /// configured school years.
        public var notes: [String] {
            get { self.storage.members.notes }
            set { self.change { $0.notes = newValue } }
        }

        public init(
            rule: String,
            calendar: String,
            calendarFellBack: Bool = false,
            skippedDays: [SkippedDay] = [],
            rolledPast: [SkippedDay] = [],
            notes: [String] = []
        ) {
            self.storage = Storage(
                Members(
                    rule: rule, calendar: calendar, calendarFellBack: calendarFellBack, skippedDays: skippedDays,
                    rolledPast: rolledPast, notes: notes))
        }

        // Equality, hashing and coding by the members, as the synthesised ones were.

        public static func == (lhs: Explanation, rhs: Explanation) -> Bool {
            lhs.storage === rhs.storage || lhs.storage.members == rhs.storage.members
        }

        public func hash(into hasher: inout Hasher) {
            self.storage.members.hash(into: &hasher)
        }

        public init(from decoder: any Decoder) throws {
            self.storage = Storage(try Members(from: decoder))
        }

        public func encode(to encoder: any Encoder) throws {
            try self.storage.members.encode(to: encoder)
        }

        /// The explanation as one paragraph.
        public var description: String {
            // One string grown in place: this runs for every milestone of every assignment.
            var text = String()
            text.reserveCapacity(self.rule.utf8.count + 48 + (self.skippedDays.count + self.rolledPast.count) * 40)
            self.write(to: &text)
            return text
        }

        /// Writes ``description`` in pieces (an assignment writes it straight into its record).
        public func write<Target: TextOutputStream>(to text: inout Target) {
            text.write(self.rule)
            text.write(" [calendar ")
            text.write(self.calendar)
            text.write("]")
            func days(_ heading: String, _ days: [SkippedDay]) {
                guard !days.isEmpty else { return }
                text.write("; ")
                text.write(heading)
                for (index, day) in days.enumerated() {
                    if index > 0 { text.write(", ") }
                    text.write(day.date.description)
                    text.write(" ")
                    text.write(day.reason.description)
                }
            }
            days("not counted: ", self.skippedDays)
            days("moved past: ", self.rolledPast)
            for note in self.notes {
                text.write("; ")
                text.write(note)
            }
        }
    }
}
