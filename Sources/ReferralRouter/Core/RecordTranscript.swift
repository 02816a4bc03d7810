import Foundation
import KafkaIO
import NIOConcurrencyHelpers
import SteeringModel

/// Every record the router would publish for a sequence of inputs, as text: `route --records` prints it so that a
/// change to the hot path can be checked byte for byte on all of its outputs (assignments, consultations, SLA
/// events, state records, rejections and dead letters), not only on the assignment `route` prints.
///
/// The inputs go through the router's own record processor on one partition, with a clock that starts at `start`
/// and moves on by `step` before each input, and that fires the timers due by then after each input, as the
/// poll loop does. The same inputs and configuration give the same text on every run.
public enum RecordTranscript {
    /// One line per output: topic, partition, key, each header (`name=value`), then the value, tab-separated.
    ///
    /// An input whose top-level object has a `referralId` member and no `type` member is read from the status
    /// topic; every other input from the requests topic. Input offsets count from 0 per topic.
    public static func lines(
        configuration: SteeringConfiguration, inputs: [[UInt8]], start: Date, step: TimeInterval
    ) -> [String] {
        let topics = RouterSettings.Topics()
        let clock = NIOLockedValueBox(start)
        let processor = RecordProcessor(
            configuration: configuration, topics: topics, source: "/referral-router/transcript",
            maxRecordBytes: 1 << 20, clock: { clock.withLockedValue { $0 } })
        var offsets: [String: Int64] = [:]
        var lines: [String] = []
        for input in inputs {
            let now = clock.withLockedValue { time in
                time += step
                return time
            }
            let topic = Self.isStatusUpdate(input) ? topics.status : topics.requests
            let offset = offsets[topic, default: 0]
            offsets[topic] = offset + 1
            let record = KafkaRecord(
                topic: topic, partition: 0, offset: offset, key: Self.key(of: input), value: input,
                timestamp: now.epochMilliseconds)
            for output in processor.process(record).materialize() + processor.tick(now: now) {
                lines.append(Self.line(output))
            }
        }
        return lines
    }

    private static func isStatusUpdate(_ input: [UInt8]) -> Bool {
        guard case .success(.object(let object)) = JSONParser.parse(input) else { return false }
        return object["referralId"] != nil && object["type"] == nil
    }

    /// The id (a request's `id`, a status update's `referralId`) as the record key, as upstream systems key them.
    private static func key(of input: [UInt8]) -> [UInt8]? {
        guard case .success(.object(let object)) = JSONParser.parse(input) else { return nil }
        guard case .string(let id)? = object["id"] ?? object["referralId"] else { return nil }
        return Array(id.utf8)
    }

    private static func line(_ output: OutputRecord) -> String {
        var fields = [output.topic, output.partition.map { String($0) } ?? "-", Self.text(output.key)]
        for header in output.allHeaders {
            fields.append("\(header.key)=\(Self.text(header.value))")
        }
        fields.append(Self.text(output.value))
        return fields.joined(separator: "\t")
    }

    private static func text(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "-" }
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
