/// The content of `config/steering/calendar.yaml`: national settings and the school calendars.
///
/// ```yaml
/// settings:
///   christmasEveIsWorkingDay: false
///   midsummerEveIsWorkingDay: false
///   closureDays: []
/// schoolCalendars:
///   - id: lahti
///     name: Lahti basic education
///     municipality: "398"
///     years:
///       - name: 2026-2027
///         from: "2026-08-01"
///         through: "2027-07-31"
///         terms:
///           - { name: Autumn term, from: "2026-08-12", through: "2026-12-19" }
///         breaks:
///           - { name: Autumn break, from: "2026-10-12", through: "2026-10-16" }
///         extraWorkingDays:
///           - { date: "2026-09-26", name: Saturday school day }
/// ```
///
/// Decoding validates: a school calendar needs a municipality or school ids, years must not overlap, terms and
/// breaks must lie inside their school year, and no municipality or school may have two calendars.
public struct CalendarConfiguration: Sendable, Hashable, Codable {
    public var settings: CalendarSettings
    public var schoolCalendars: [SchoolCalendar]

    /// - Throws: ``DeadlinesConfigurationError`` listing every problem found.
    public init(settings: CalendarSettings = CalendarSettings(), schoolCalendars: [SchoolCalendar] = []) throws {
        self.settings = settings
        self.schoolCalendars = schoolCalendars
        try self.validate()
    }

    private enum CodingKeys: String, CodingKey {
        case settings
        case schoolCalendars
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            settings: try container.decodeIfPresent(CalendarSettings.self, forKey: .settings) ?? CalendarSettings(),
            schoolCalendars: try container.decodeIfPresent([SchoolCalendar].self, forKey: .schoolCalendars) ?? []
        )
    }

    /// The national calendar with the closure days of `municipality` (and those that apply everywhere).
    public func nationalCalendar(municipality: String? = nil) -> NationalCalendar {
        NationalCalendar(settings: self.settings, municipality: municipality)
    }

    /// The calendar for counting school working days of a pupil's school.
    ///
    /// A calendar configured for the school id wins over one for the municipality, if it has a school year
    /// containing `date`. When no calendar is configured, or none found has such a school year, the national
    /// calendar of the municipality stands in and the selection says so (``CalendarSelection/fellBackToNational``).
    ///
    /// - Parameters:
    ///   - schoolId: the pupil's school, if known.
    ///   - municipality: the 3-digit municipality code, if known.
    ///   - date: the local date of the request (the count starts after it).
    public func schoolCalendar(schoolId: String?, municipality: String?, on date: CivilDate) -> CalendarSelection {
        let national = self.nationalCalendar(municipality: municipality)
        let bySchool = schoolId.flatMap { id in self.schoolCalendars.first { $0.schoolIds?.contains(id) == true } }
        let byMunicipality = municipality.flatMap { code in self.schoolCalendars.first { $0.municipality == code } }
        // (Runs for every decision: no intermediate arrays.)
        if let calendar = bySchool, calendar.covers(date) { return .school(calendar) }
        if let calendar = byMunicipality, calendar.covers(date) { return .school(calendar) }
        if let calendar = bySchool ?? byMunicipality {
            return .fallback(to: national, because: .noSchoolYear(calendarId: calendar.id, date: date))
        }
        return .fallback(to: national, because: .notConfigured(schoolId: schoolId, municipality: municipality))
    }

    private func validate() throws(DeadlinesConfigurationError) {
        var problems: [String] = []
        var ids: Set<String> = []
        var municipalities: Set<String> = []
        var schools: Set<String> = []
        for (index, calendar) in self.schoolCalendars.enumerated() {
            let path = "schoolCalendars[\(index)]"
            problems += calendar.problems(at: path)
            if !ids.insert(calendar.id).inserted {
                problems.append("\(path).id: \(calendar.id) is used twice")
            }
            if let municipality = calendar.municipality, !municipalities.insert(municipality).inserted {
                problems.append("\(path).municipality: \(municipality) already has a school calendar")
            }
            for school in calendar.schoolIds ?? [] where !schools.insert(school).inserted {
                problems.append("\(path).schoolIds: \(school) already has a school calendar")
            }
        }
        for (index, closure) in self.settings.closureDays.enumerated() where closure.name.isEmpty {
            problems.append("settings.closureDays[\(index)].name: is empty")
        }
        if !problems.isEmpty {
            throw DeadlinesConfigurationError(file: "calendar", problems: problems)
        }
    }
}
