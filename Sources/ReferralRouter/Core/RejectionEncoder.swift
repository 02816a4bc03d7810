import Foundation
import SteeringModel

/// Serialises validation errors: the `route` command's error objects and the rejection notices on
/// `referrals.rejections`. Neither contains personal data: problems name fields and rules, never values.
public enum RejectionEncoder {
    /// The object `route` prints for an invalid request.
    public static func validationError(_ failure: ValidationFailure) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.field("id", failure.id)
        json.key("error")
        Self.writeError(failure, into: &json)
        json.endObject()
        return json.finish()
    }

    /// The notice to the submitting system.
    public static func rejection(
        _ failure: ValidationFailure,
        rejectedAt: Date,
        sourceTopic: String,
        partition: Int32,
        offset: Int64
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 384)
        json.beginObject()
        json.field("requestId", failure.id)
        json.field("rejectedAt", RFC3339.format(rejectedAt))
        json.field("code", failure.code.rawValue)
        json.field("reason", failure.reason)
        json.key("problems")
        Self.writeProblems(failure, into: &json)
        json.key("source")
        json.beginObject()
        json.field("topic", sourceTopic)
        json.field("partition", Int(partition))
        json.field("offset", Int(offset))
        json.endObject()
        json.endObject()
        return json.finish()
    }

    private static func writeError(_ failure: ValidationFailure, into json: inout JSONWriter) {
        json.beginObject()
        json.field("code", failure.code.rawValue)
        json.field("reason", failure.reason)
        json.key("problems")
        Self.writeProblems(failure, into: &json)
        json.endObject()
    }

    private static func writeProblems(_ failure: ValidationFailure, into json: inout JSONWriter) {
        json.beginArray()
        for problem in failure.problems {
            json.beginObject()
            json.field("code", problem.code.rawValue)
            json.field("field", problem.field)
            json.field("message", problem.message)
            json.endObject()
        }
        json.endArray()
    }
}
