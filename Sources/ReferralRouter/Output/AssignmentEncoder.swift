import Deadlines
import Foundation
import SteeringModel

/// A milestone of the SLA policy a decision starts, with its due time.
public struct PlannedMilestone: Sendable, Hashable {
    public var milestone: String
    /// `nil` when the milestone starts from a later event (e.g. the need being established).
    public var dueAt: Date?
    public var startsOn: String?
    /// How the due time was found, when it was computed (kept as a value: the assignment writes its text straight
    /// into the record).
    public var deadlineExplanation: Deadline.Explanation?
    /// The explanation of a milestone without a computed due time (a later start, or why it cannot be computed).
    public var note: String?

    public init(
        milestone: String, dueAt: Date?, startsOn: String? = nil, deadlineExplanation: Deadline.Explanation? = nil,
        note: String? = nil
    ) {
        self.milestone = milestone
        self.dueAt = dueAt
        self.startsOn = startsOn
        self.deadlineExplanation = deadlineExplanation
        self.note = note
    }

    /// The due time as RFC 3339 with the Helsinki offset.
    public var dueAtText: String? {
        self.dueAt.map { LocalRFC3339.format($0) }
    }

    public var explanation: String? {
        self.deadlineExplanation?.description ?? self.note
    }
}

/// Serialises the output records of a decision: the assignment and one record per consultation.
///
/// Field names are the contract of `spec/messages.md` (camelCase). The bytes are deterministic for a given
/// decision, so a re-published record is byte-identical to the first.
public enum AssignmentEncoder {
    /// The deterministic decision id of a request under a configuration version.
    ///
    /// `dec-` and the first 24 hex digits of SHA-256 over `decision`, NUL, the request id, NUL, the version. Hashed
    /// piece by piece and written into one string, since it runs for every decision.
    public static func decisionId(requestId: String, version: String) -> String {
        var hasher = SHA256()
        hasher.update("decision".utf8)
        hasher.update(Self.separator)
        hasher.update(requestId.utf8)
        hasher.update(Self.separator)
        hasher.update(version.utf8)
        // The digest stays on the stack: only its first twelve bytes are written.
        return hasher.finalize { digest in
            String(unsafeUninitializedCapacity: 28) { text in
                for (index, byte) in "dec-".utf8.enumerated() { text[index] = byte }
                for index in 0..<12 {
                    text[4 + index * 2] = SHA256.hexDigits[Int(digest[index] >> 4)]
                    text[5 + index * 2] = SHA256.hexDigits[Int(digest[index] & 0x0F)]
                }
                return 28
            }
        }
    }

    private static let separator: [UInt8] = [0]

    public static func assignment(
        _ decision: Decision,
        request: ReferralRequest,
        decidedAt: Date,
        slaPolicy: String?,
        milestones: [PlannedMilestone],
        decidedAtText: String? = nil
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 1280 + decision.trace.count * 128)
        json.beginObject()
        json.field("referralId", decision.requestId)
        json.field("decisionId", Self.decisionId(requestId: decision.requestId, version: decision.steeringModelVersion))
        json.field("decidedAt", decidedAtText ?? RFC3339.format(decidedAt))
        json.field("type", decision.type.rawValue)
        json.key("owner")
        Self.writeOwner(decision.owner, into: &json)
        if let caseOwner = request.consultation?.caseOwnerTeam {
            json.field("caseOwnerTeam", caseOwner)
        }
        json.key("consultations")
        json.beginArray()
        // In place, as the trace below: `for consultation in` copied each one out (five strings retained).
        decision.consultations.withUnsafeBufferPointer { consultations in
            for index in consultations.indices {
                json.beginObject()
                json.field("unitId", consultations[index].teamId)
                json.field("unitType", consultations[index].unitType.rawValue)
                json.field("unitName", consultations[index].teamName)
                json.field("ruleId", consultations[index].ruleId)
                json.field("reason", consultations[index].reason)
                json.endObject()
            }
        }
        json.endArray()
        json.field("concerns", strings: request.need.concerns.lazy.map { $0.rawValue })
        json.field("urgency", request.need.urgency.rawValue)
        json.field("severity", request.need.severity.rawValue)
        json.key("language")
        json.beginObject()
        json.field("requested", decision.requestedLanguage)
        json.field("matched", decision.languageMatched)
        json.endObject()
        json.key("sla")
        json.beginObject()
        json.field("policy", slaPolicy)
        json.key("milestones")
        json.beginArray()
        // In place: `for milestone in` copied each one out, its explanation's strings and arrays with it.
        milestones.withUnsafeBufferPointer { milestones in
            for index in milestones.indices {
                json.beginObject()
                json.field("milestone", milestones[index].milestone)
                if let dueAt = milestones[index].dueAt {
                    // Written straight into the record, as `dueAtText` formats it.
                    json.field("dueAt", ascii: LocalRFC3339.maximumLength) { LocalRFC3339.write(dueAt, into: $0) }
                }
                json.field("startsOn", milestones[index].startsOn)
                if let explanation = milestones[index].deadlineExplanation {
                    json.key("explanation")
                    json.beginString()
                    explanation.write(to: &json)
                    json.endString()
                } else {
                    json.field("explanation", milestones[index].note)
                }
                json.endObject()
            }
        }
        json.endArray()
        json.endObject()
        json.key("trace")
        json.beginArray()
        // In place: `for entry in` copied each entry out (three references retained and released).
        decision.trace.withUnsafeBufferPointer { trace in
            for index in trace.indices {
                trace[index].write(into: &json)
            }
        }
        json.endArray()
        json.field("steeringModelVersion", decision.steeringModelVersion)
        json.endObject()
        return json.finish()
    }

    /// One record for the consulted unit, on the consultations topic.
    ///
    /// - Important: it carries `question` (free text, personal data) to the unit that must answer it.
    public static func consultation(
        _ consultation: Decision.Consultation,
        decision: Decision,
        request: ReferralRequest,
        decidedAt: Date,
        decidedAtText: String? = nil
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 640 + (request.consultation?.question?.utf8.count ?? 0))
        json.beginObject()
        json.field("referralId", decision.requestId)
        json.field("consultationId", "\(decision.requestId)/\(consultation.teamId)")
        json.field("decidedAt", decidedAtText ?? RFC3339.format(decidedAt))
        json.field("requestType", decision.type.rawValue)
        json.field("unitId", consultation.teamId)
        json.field("unitType", consultation.unitType.rawValue)
        json.field("unitName", consultation.teamName)
        json.field("ruleId", consultation.ruleId)
        json.field("reason", consultation.reason)
        json.field("caseOwnerTeam", request.consultation?.caseOwnerTeam ?? (decision.type == .referral ? decision.owner.teamId : nil))
        json.field("anonymous", request.isAnonymous)
        json.field("clientRef", request.client.ref)
        json.field("ageYears", request.client.ageYears)
        json.field("language", request.client.language)
        json.field("concerns", strings: request.need.concerns.lazy.map { $0.rawValue })
        json.field("urgency", request.need.urgency.rawValue)
        json.field("severity", request.need.severity.rawValue)
        json.field("question", request.consultation?.question)
        json.field("steeringModelVersion", decision.steeringModelVersion)
        json.endObject()
        return json.finish()
    }

    private static func writeOwner(_ owner: Decision.Owner, into json: inout JSONWriter) {
        json.beginObject()
        json.field("level", owner.level.rawValue)
        json.field("unitType", owner.unitType.rawValue)
        json.field("teamId", owner.teamId)
        json.field("teamName", owner.teamName)
        json.field("area", owner.area)
        json.field("region", owner.regionId)
        json.field("triageReason", owner.triageReason)
        json.endObject()
    }

    /// A readable explanation of a decision's trace, for `route --explain`.
    public static func explanation(_ decision: Decision, milestones: [PlannedMilestone]) -> String {
        var lines: [String] = []
        lines.append("Request \(decision.requestId) (\(decision.type.rawValue)):")
        lines.append(
            "  owner: \(decision.owner.teamName) [\(decision.owner.teamId)], \(decision.owner.unitType.rawValue) (\(decision.owner.level.rawValue)), region \(decision.owner.regionId)"
        )
        if let reason = decision.owner.triageReason {
            lines.append("  sent to triage because \(reason)")
        }
        lines.append(
            "  language: \(decision.requestedLanguage) — \(decision.languageMatched ? "matched" : "NOT matched: no team of this unit works in it")"
        )
        for consultation in decision.consultations {
            lines.append("  consult: \(consultation.teamName) [\(consultation.teamId)] — \(consultation.reason)")
        }
        lines.append("  rules considered:")
        for entry in decision.trace {
            let mark = entry.matched ? "✔" : "·"
            lines.append("    \(mark) \(entry.kind.rawValue) \(entry.ruleId): \(entry.reason)")
        }
        if let policy = decision.slaPolicy {
            lines.append("  SLA policy \(policy):")
            for milestone in milestones {
                let due = milestone.dueAtText ?? "starts on \(milestone.startsOn ?? "a later event")"
                lines.append("    \(milestone.milestone): \(due)")
                if let explanation = milestone.explanation {
                    lines.append("      \(explanation)")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
