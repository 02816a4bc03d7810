/// One region's organisation, as written in `config/steering/regions/<region>.yaml`.
public struct RegionConfiguration: Sendable, Hashable, Codable {
    public struct Info: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        /// The working languages in which the region must be able to serve clients (ISO 639-1).
        public var languages: [String]
        /// The team that owns whatever cannot be resolved (alueellinen asiakasohjaus).
        public var triageTeam: String
        /// Names and capacities in the file are made up for illustration.
        public var illustrative: Bool?

        public init(id: String, name: String, languages: [String], triageTeam: String, illustrative: Bool? = nil) {
            self.id = id
            self.name = name
            self.languages = languages
            self.triageTeam = triageTeam
            self.illustrative = illustrative
        }
    }

    /// A family-centre area (perhekeskusalue).
    public struct Area: Sendable, Hashable, Codable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }
    }

    /// A municipality and the area it belongs to; large cities are split by postal code.
    public struct Municipality: Sendable, Hashable, Codable {
        /// Official 3-digit municipality code, e.g. `"398"` for Lahti.
        public var code: String
        public var name: String
        /// The area of every postal code not listed in `postalAreas`.
        public var area: String?
        public var postalAreas: [PostalArea]?

        public init(code: String, name: String, area: String? = nil, postalAreas: [PostalArea]? = nil) {
            self.code = code
            self.name = name
            self.area = area
            self.postalAreas = postalAreas
        }
    }

    public struct PostalArea: Sendable, Hashable, Codable {
        public var area: String
        /// Single codes (`"15100"`) or inclusive ranges (`"15100-15170"`).
        public var postalCodes: [PostalCodeRange]

        public init(area: String, postalCodes: [PostalCodeRange]) {
            self.area = area
            self.postalCodes = postalCodes
        }
    }

    public struct School: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var municipality: String
        /// The school's student-welfare team (opiskeluhuolto).
        public var team: String

        public init(id: String, name: String, municipality: String, team: String) {
            self.id = id
            self.name = name
            self.municipality = municipality
            self.team = team
        }
    }

    public struct Team: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var unitType: UnitType
        /// For area-based unit types (family centre, youth low-threshold service): the areas served.
        public var areas: [String]?
        public var languages: [String]
        /// Open cases the team is sized for; load is compared relative to it.
        public var capacity: Int
        /// The ages served; all ages when absent.
        public var ages: AgeRange?

        public init(
            id: String,
            name: String,
            unitType: UnitType,
            areas: [String]? = nil,
            languages: [String],
            capacity: Int,
            ages: AgeRange? = nil
        ) {
            self.id = id
            self.name = name
            self.unitType = unitType
            self.areas = areas
            self.languages = languages
            self.capacity = capacity
            self.ages = ages
        }

        public func serves(age: Int?) -> Bool {
            guard let ages = self.ages, let age else { return true }
            return ages.contains(age)
        }
    }

    public var region: Info
    public var areas: [Area]
    public var municipalities: [Municipality]
    public var schools: [School]?
    public var teams: [Team]

    public init(region: Info, areas: [Area], municipalities: [Municipality], schools: [School]?, teams: [Team]) {
        self.region = region
        self.areas = areas
        self.municipalities = municipalities
        self.schools = schools
        self.teams = teams
    }
}

/// An inclusive age range in whole years, written `"13-22"` or `"7"` in configuration.
public struct AgeRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var lowerBound: Int
    public var upperBound: Int

    public init(_ lowerBound: Int, _ upperBound: Int) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    public func contains(_ age: Int) -> Bool {
        age >= self.lowerBound && age <= self.upperBound
    }

    public var description: String {
        self.lowerBound == self.upperBound ? "\(self.lowerBound)" : "\(self.lowerBound)–\(self.upperBound)"
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " ") }
        guard (1...2).contains(parts.count), let lower = Int(parts[0]), let upper = Int(parts[parts.count - 1]),
            lower >= 0, upper <= 25, lower <= upper
        else { return nil }
        self.init(lower, upper)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), (0...25).contains(number) {
            self.init(number, number)
            return
        }
        let text = try container.decode(String.self)
        guard let range = AgeRange(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "an age range is written \"min-max\" with whole years 0–25, e.g. \"13-22\""
            )
        }
        self = range
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("\(self.lowerBound)-\(self.upperBound)")
    }
}

/// An inclusive range of 5-digit postal codes, written `"15100"` or `"15100-15170"`.
public struct PostalCodeRange: Sendable, Hashable, Codable, CustomStringConvertible {
    public var first: Int
    public var last: Int

    public init(first: Int, last: Int) {
        self.first = first
        self.last = last
    }

    public func contains(_ postalCode: String) -> Bool {
        guard let value = Int(postalCode) else { return false }
        return value >= self.first && value <= self.last
    }

    public func overlaps(_ other: PostalCodeRange) -> Bool {
        self.first <= other.last && other.first <= self.last
    }

    public var description: String {
        func code(_ value: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return self.first == self.last ? code(self.first) : "\(code(self.first))-\(code(self.last))"
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: " ") }
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ $0.utf8.count == 5 && $0.utf8.allSatisfy(\.isASCIIDigit) }),
            let first = Int(parts[0]), let last = Int(parts[parts.count - 1]), first <= last
        else { return nil }
        self.init(first: first, last: last)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text: String
        if let number = try? container.decode(Int.self) {
            text = String(number)
        } else {
            text = try container.decode(String.self)
        }
        guard let range = PostalCodeRange(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "a postal code is 5 digits, a range is written \"15100-15170\" (quote it in YAML)"
            )
        }
        self = range
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: Character) -> String {
        var result = self
        while result.first == characters { result = result.dropFirst() }
        while result.last == characters { result = result.dropLast() }
        return String(result)
    }
}
