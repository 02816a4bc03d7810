import Foundation
import Logging
import SteeringModel

/// Writes one JSON object per log line to standard error: time, level, label, message and metadata.
///
/// - Important: the router never puts personal data into log messages or metadata; this handler only formats.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.field("time", RFC3339.format(Date()))
        json.field("level", event.level.rawValue)
        json.field("logger", self.label)
        json.field("message", event.message.description)
        var merged = self.metadata
        for (key, value) in event.metadata ?? [:] {
            merged[key] = value
        }
        if let error = event.error {
            merged["error"] = "\(error)"
        }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            json.field(named: key, "\(value)")
        }
        json.endObject()
        var bytes = json.finish()
        bytes.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(Data(bytes))
    }
}
