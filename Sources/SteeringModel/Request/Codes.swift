/// The concern taxonomy. The raw values are the wire contract; `finnishName` is for the glossary and for
/// explanations.
public enum Concern: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case parenting
    case coupleRelationship = "couple_relationship"
    case separation
    case pregnancyInfancy = "pregnancy_infancy"
    case financialHardship = "financial_hardship"
    case immigrantFamily = "immigrant_family"
    case neuropsychiatric
    case mentalHealth = "mental_health"
    case substanceUse = "substance_use"
    case domesticViolence = "domestic_violence"
    case bullying
    case schoolAbsence = "school_absence"
    case learningDifficulties = "learning_difficulties"
    case schoolWellbeing = "school_wellbeing"
    case childProtection = "child_protection"
    case disability

    public var finnishName: String {
        switch self {
        case .parenting: "vanhemmuuden tuki"
        case .coupleRelationship: "parisuhteen tuki"
        case .separation: "eroauttaminen"
        case .pregnancyInfancy: "raskaus- ja vauva-ajan tuki"
        case .financialHardship: "vähävaraisen lapsiperheen tuki"
        case .immigrantFamily: "maahanmuuttajaperheen tuki"
        case .neuropsychiatric: "neuropsykiatrinen oireilu (nepsy)"
        case .mentalHealth: "mielenterveys"
        case .substanceUse: "päihteet"
        case .domesticViolence: "perhe- ja lähisuhdeväkivalta"
        case .bullying: "kiusaaminen"
        case .schoolAbsence: "poissaolot"
        case .learningDifficulties: "oppimisvaikeudet"
        case .schoolWellbeing: "koulunkäynnin tuki"
        case .childProtection: "lastensuojelullinen huoli"
        case .disability: "vaativa erityinen tuki"
        }
    }

    public static func < (lhs: Concern, rhs: Concern) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Urgency, from the client-process model of the Central Finland plan.
public enum Urgency: String, Sendable, Hashable, Codable, CaseIterable {
    /// hätätilanne
    case emergency
    /// kiireellistä apua vaativa tilanne
    case urgent
    /// uuden ongelman selvittely
    case newConcern = "new_concern"
    /// omahoidon tai kuntoutuksen tuki
    case ongoingSupport = "ongoing_support"
    /// ennaltaehkäisy, tieto ja neuvonta
    case prevention
}

/// How badly everyday coping is affected.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
    case mild
    case moderate
    case severe
}

public enum RequestType: String, Sendable, Hashable, Codable, CaseIterable {
    case referral
    case consultation
}

/// The service level a unit type belongs to.
public enum ServiceLevel: String, Sendable, Hashable, Codable, CaseIterable {
    /// perhekeskus
    case familyCentre = "family_centre"
    /// opiskeluhuolto
    case schoolWelfare = "school_welfare"
    /// erityis- ja vaativan tason palvelut
    case specialist
    /// alueellinen asiakasohjaus
    case triage
}

/// The unit types that decisions, configuration and tests share.
public enum UnitType: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case familyCentre = "family_centre"
    case youthLowThreshold = "youth_low_threshold"
    case schoolWelfare = "school_welfare"
    case childProtectionOnCall = "child_protection_on_call"
    case childProtection = "child_protection"
    case childPsychiatry = "child_psychiatry"
    case adolescentPsychiatry = "adolescent_psychiatry"
    case neuropsychiatricTeam = "neuropsychiatric_team"
    case youthSubstance = "youth_substance"
    case familyViolence = "family_violence"
    case otCentre = "ot_centre"
    case triage

    public var level: ServiceLevel {
        switch self {
        case .familyCentre, .youthLowThreshold: .familyCentre
        case .schoolWelfare: .schoolWelfare
        case .triage: .triage
        default: .specialist
        }
    }

    /// The specialist unit types: what a consultation request may ask for.
    public static let specialistCases: [UnitType] = allCases.filter { $0.level == .specialist }

    /// Whether teams of this type are found through the client's family-centre area.
    public var isAreaBased: Bool {
        self == .familyCentre || self == .youthLowThreshold
    }

    public var finnishName: String {
        switch self {
        case .familyCentre: "perhekeskus"
        case .youthLowThreshold: "nuorten matalan kynnyksen mielenterveys- ja päihdepalvelu"
        case .schoolWelfare: "opiskeluhuolto"
        case .childProtectionOnCall: "sosiaalipäivystys"
        case .childProtection: "lastensuojelu"
        case .childPsychiatry: "lastenpsykiatria"
        case .adolescentPsychiatry: "nuorisopsykiatria"
        case .neuropsychiatricTeam: "nepsy-erityistiimi"
        case .youthSubstance: "nuorten päihdepalvelut"
        case .familyViolence: "perheväkivaltatyö"
        case .otCentre: "osaamis- ja tukikeskus (OT-keskus)"
        case .triage: "alueellinen asiakasohjaus"
        }
    }

    public static func < (lhs: UnitType, rhs: UnitType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// Progress an owner team reports on a case.
public enum CaseStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case acknowledged
    case firstContact = "first_contact"
    case assessmentStarted = "assessment_started"
    case assessmentCompleted = "assessment_completed"
    case serviceStarted = "service_started"
    case closed
    case withdrawn
    case reassigned
}
