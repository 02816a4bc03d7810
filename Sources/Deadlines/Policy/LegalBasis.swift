/// The provision a policy or milestone rests on, so that a decision can cite it.
///
/// ```yaml
/// legalBasis: { law: "Sosiaalihuoltolaki 1301/2014", section: "36 §", version: "2023-01-01" }
/// ```
public struct LegalBasis: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The act, with its number, e.g. `Lastensuojelulaki 417/2007`.
    public var law: String
    /// The section, e.g. `26 §`.
    public var section: String
    /// The date of the version of the section that this reading follows (the consolidated text's date).
    public var version: CivilDate
    /// How the product reads the provision, when the text leaves room (e.g. "immediately" as 1 clock hour).
    public var note: String?

    public init(law: String, section: String, version: CivilDate, note: String? = nil) {
        self.law = law
        self.section = section
        self.version = version
        self.note = note
    }

    /// `Lastensuojelulaki 417/2007 26 § (version 2015-04-01)`.
    public var description: String {
        "\(self.law) \(self.section) (version \(self.version))"
    }
}
