/// A school's or a municipality's own calendar of school working days (oppilaitoksen työpäivät), from its
/// annual plan: terms, breaks and extra working days, one entry per school year.
///
/// A day is a school working day when it is not in a break, lies in a term, and is a weekday that is not a
/// public holiday or an eve — or when it is listed as an extra working day (a Saturday school day, say). A
/// break may also lie between terms (the Christmas break), so that explanations name it.
/// Outside every configured school year the calendar answers by national rules (weekends, holidays and eves
/// closed) and ``covers(_:)`` is `false`, so an explanation can say the count left the configured plan.
public struct SchoolCalendar: WorkingDayCalendar, Hashable, Codable {
    /// An inclusive range of dates with a name, e.g. a term or a break.
    public struct Period: Sendable, Hashable, Codable {
        public var name: String
        public var from: CivilDate
        public var through: CivilDate

        public init(name: String, from: CivilDate, through: CivilDate) {
            self.name = name
            self.from = from
            self.through = through
        }

        public func contains(_ date: CivilDate) -> Bool {
            self.from <= date && date <= self.through
        }
    }

    /// A day that is a school working day although it would not be one otherwise.
    public struct ExtraWorkingDay: Sendable, Hashable, Codable {
        public var date: CivilDate
        public var name: String

        public init(date: CivilDate, name: String) {
            self.date = date
            self.name = name
        }
    }

    /// One school year of the annual plan.
    public struct SchoolYear: Sendable, Hashable, Codable {
        /// E.g. `2026-2027`.
        public var name: String
        /// The period this plan is authoritative for (usually 1 August to 31 July).
        public var from: CivilDate
        public var through: CivilDate
        /// The terms; days between them (the summer) are not school working days.
        public var terms: [Period]
        /// Breaks (autumn, Christmas, winter break …), inside a term or between two.
        public var breaks: [Period]
        /// Extra school working days, such as a Saturday school day.
        public var extraWorkingDays: [ExtraWorkingDay]

        public init(
            name: String,
            from: CivilDate,
            through: CivilDate,
            terms: [Period],
            breaks: [Period] = [],
            extraWorkingDays: [ExtraWorkingDay] = []
        ) {
            self.name = name
            self.from = from
            self.through = through
            self.terms = terms
            self.breaks = breaks
            self.extraWorkingDays = extraWorkingDays
        }

        private enum CodingKeys: String, CodingKey {
            case name, from, through, terms, breaks, extraWorkingDays
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.name = try container.decode(String.self, forKey: .name)
            self.from = try container.decode(CivilDate.self, forKey: .from)
            self.through = try container.decode(CivilDate.self, forKey: .through)
            self.terms = try container.decode([Period].self, forKey: .terms)
            self.breaks = try container.decodeIfPresent([Period].self, forKey: .breaks) ?? []
            self.extraWorkingDays =
                try container.decodeIfPresent([ExtraWorkingDay].self, forKey: .extraWorkingDays) ?? []
        }

        public func contains(_ date: CivilDate) -> Bool {
            self.from <= date && date <= self.through
        }
    }

    /// A stable id, e.g. `lahti`; the calendar's ``identifier`` is `school/<id>`.
    public var id: String
    public var name: String
    /// The official 3-digit code of the municipality whose schools follow this calendar.
    public var municipality: String?
    /// Schools that follow this calendar; a school's own calendar wins over its municipality's.
    public var schoolIds: [String]?
    /// The dates are made up for illustration.
    public var illustrative: Bool?
    /// The school years, in any order; they must not overlap.
    public var years: [SchoolYear]

    public init(
        id: String,
        name: String,
        municipality: String? = nil,
        schoolIds: [String]? = nil,
        illustrative: Bool? = nil,
        years: [SchoolYear]
    ) {
        self.id = id
        self.name = name
        self.municipality = municipality
        self.schoolIds = schoolIds
        self.illustrative = illustrative
        self.years = years
    }

    public var identifier: String {
        "school/\(self.id)"
    }

    public func nonWorkingReason(on date: CivilDate) -> NonWorkingReason? {
        guard let year = self.years.first(where: { $0.contains(date) }) else {
            return NationalCalendar.statutoryReason(on: date)
        }
        if year.extraWorkingDays.contains(where: { $0.date == date }) {
            return nil
        }
        if let schoolBreak = year.breaks.first(where: { $0.contains(date) }) {
            return .schoolHoliday(name: schoolBreak.name)
        }
        guard year.terms.contains(where: { $0.contains(date) }) else {
            return .outsideSchoolTerm
        }
        return NationalCalendar.statutoryReason(on: date)
    }

    public func covers(_ date: CivilDate) -> Bool {
        self.years.contains { $0.contains(date) }
    }

    /// The problems of this calendar, each prefixed with `path` (empty when it is valid).
    func problems(at path: String) -> [String] {
        var problems: [String] = []
        if self.municipality == nil && (self.schoolIds ?? []).isEmpty {
            problems.append("\(path): names neither a municipality nor schoolIds, so nothing can use it")
        }
        if self.years.isEmpty {
            problems.append("\(path).years: is empty")
        }
        let sorted = self.years.sorted { $0.from < $1.from }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.from <= previous.through {
            problems.append("\(path).years: \(previous.name) and \(next.name) overlap")
        }
        for (index, year) in self.years.enumerated() {
            let yearPath = "\(path).years[\(index)]"
            if year.through < year.from {
                problems.append("\(yearPath): through \(year.through) is before from \(year.from)")
            }
            if year.terms.isEmpty {
                problems.append("\(yearPath).terms: is empty")
            }
            for (kind, periods) in [("terms", year.terms), ("breaks", year.breaks)] {
                for (periodIndex, period) in periods.enumerated() {
                    let periodPath = "\(yearPath).\(kind)[\(periodIndex)]"
                    if period.through < period.from {
                        problems.append("\(periodPath): through \(period.through) is before from \(period.from)")
                    } else if !year.contains(period.from) || !year.contains(period.through) {
                        problems.append("\(periodPath): \(period.name) lies outside the school year \(year.name)")
                    }
                }
            }
            for (dayIndex, day) in year.extraWorkingDays.enumerated() where !year.contains(day.date) {
                problems.append("\(yearPath).extraWorkingDays[\(dayIndex)]: \(day.date) is outside \(year.name)")
            }
        }
        return problems
    }
}
