/// Settings of the national working-day calendar (the `settings` section of `config/steering/calendar.yaml`).
///
/// ```yaml
/// settings:
///   christmasEveIsWorkingDay: false
///   midsummerEveIsWorkingDay: false
///   closureDays:
///     - { date: "2027-12-31", name: "Regional closure day", municipalities: ["398"] }
/// ```
public struct CalendarSettings: Sendable, Hashable, Codable {
    /// An extra day on which the offices are closed, everywhere or in the listed municipalities.
    public struct ClosureDay: Sendable, Hashable, Codable {
        public var date: CivilDate
        /// Shown in explanations, e.g. `"Regional closure day"`.
        public var name: String
        /// Official 3-digit municipality codes; absent or empty means every municipality.
        public var municipalities: [String]?

        public init(date: CivilDate, name: String, municipalities: [String]? = nil) {
            self.date = date
            self.name = name
            self.municipalities = municipalities
        }

        /// Whether the closure applies in `municipality` (`nil`: only closures that apply everywhere).
        public func applies(to municipality: String?) -> Bool {
            guard let municipalities = self.municipalities, !municipalities.isEmpty else { return true }
            guard let municipality else { return false }
            return municipalities.contains(municipality)
        }
    }

    /// Whether Christmas Eve counts as a working day inside a count (default: no). A deadline never ends on it.
    public var christmasEveIsWorkingDay: Bool
    /// Whether Midsummer Eve counts as a working day inside a count (default: no). A deadline never ends on it.
    public var midsummerEveIsWorkingDay: Bool
    /// Extra closure days.
    public var closureDays: [ClosureDay]

    public init(
        christmasEveIsWorkingDay: Bool = false,
        midsummerEveIsWorkingDay: Bool = false,
        closureDays: [ClosureDay] = []
    ) {
        self.christmasEveIsWorkingDay = christmasEveIsWorkingDay
        self.midsummerEveIsWorkingDay = midsummerEveIsWorkingDay
        self.closureDays = closureDays
    }

    private enum CodingKeys: String, CodingKey {
        case christmasEveIsWorkingDay
        case midsummerEveIsWorkingDay
        case closureDays
    }

    /// Every key may be left out; absent keys take the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.christmasEveIsWorkingDay =
            try container.decodeIfPresent(Bool.self, forKey: .christmasEveIsWorkingDay) ?? false
        self.midsummerEveIsWorkingDay =
            try container.decodeIfPresent(Bool.self, forKey: .midsummerEveIsWorkingDay) ?? false
        self.closureDays = try container.decodeIfPresent([ClosureDay].self, forKey: .closureDays) ?? []
    }
}
