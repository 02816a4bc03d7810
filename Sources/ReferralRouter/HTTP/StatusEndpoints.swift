import Foundation
import Hummingbird
import KafkaIO
import NIOCore
import Prometheus
import SteeringModel

/// `GET /healthz`, `/readyz`, `/status` and `/metrics`. Read-only; counts and codes only, no personal data.
enum StatusEndpoints {
    static func makeRouter(
        statistics: RouterStatistics,
        registry: PrometheusCollectorRegistry,
        version: String,
        bearerToken: String? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        if let bearerToken {
            router.add(middleware: BearerTokenMiddleware(token: bearerToken))
        }
        router.get("/healthz") { _, _ -> Response in
            let alive = statistics.isAlive()
            return Self.json(alive ? .ok : .serviceUnavailable, Self.object(["status": alive ? "alive" : "poll loop stalled"]))
        }
        router.get("/readyz") { _, _ -> Response in
            let ready = statistics.isReady()
            let snapshot = statistics.snapshot
            var reasons: [String] = []
            if !statistics.isAlive() { reasons.append("poll loop not running") }
            if !snapshot.brokerReachable { reasons.append("broker unreachable") }
            if snapshot.assignedPartitions.isEmpty { reasons.append("no partitions assigned") }
            if snapshot.restoring { reasons.append("restoring state") }
            if snapshot.stopping { reasons.append("stopping") }
            var writer = JSONWriter()
            writer.beginObject()
            writer.field("ready", ready)
            writer.field("reasons", strings: reasons)
            writer.endObject()
            return Self.json(ready ? .ok : .serviceUnavailable, writer.finish())
        }
        router.get("/status") { request, _ -> Response in
            let snapshot = statistics.snapshot
            let ready = statistics.isReady()
            if let accept = request.headers[.accept], accept.contains("text/html") {
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: StatusPage.render(snapshot, version: version, ready: ready))))
            }
            return Self.json(.ok, Self.status(snapshot, version: version, ready: ready))
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return router
    }

    static func status(_ snapshot: RouterStatistics.Snapshot, version: String, ready: Bool, now: Date = Date()) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.beginObject()
        json.field("service", "referral-router")
        json.field("version", version)
        json.field("configurationVersion", snapshot.configurationVersion)
        json.field("startedAt", RFC3339.format(snapshot.startedAt))
        json.field("uptimeSeconds", Int(now.timeIntervalSince(snapshot.startedAt)))
        json.field("ready", ready)
        json.field("brokerReachable", snapshot.brokerReachable)
        json.field("restoring", snapshot.restoring)
        json.field("restoredReferrals", snapshot.restoredReferrals)
        json.field("recordsInFlight", snapshot.recordsInFlight)
        json.key("assignedPartitions")
        json.beginArray()
        for partition in snapshot.assignedPartitions {
            json.beginObject()
            json.field("topic", partition.topic)
            json.field("partition", Int(partition.partition))
            json.field("lag", snapshot.lag[partition].map { Int($0) })
            json.endObject()
        }
        json.endArray()
        json.field("consumerLag", Int(snapshot.lag.values.reduce(0, +)))
        json.key("counts")
        json.beginObject()
        json.field("routed", snapshot.routed)
        json.field("consultations", snapshot.consultations)
        json.field("duplicates", snapshot.duplicates)
        json.field("statusUpdates", snapshot.statusUpdates)
        json.key("deadLettered")
        json.beginObject()
        for (code, count) in snapshot.deadLettered.sorted(by: { $0.key < $1.key }) {
            json.field(named: code, count)
        }
        json.endObject()
        json.endObject()
        json.field("slaEvents", snapshot.slaEvents)
        json.field("lastReloadAt", snapshot.lastReloadAt.map { RFC3339.format($0) })
        json.field("lastReloadError", snapshot.lastReloadError)
        json.key("timersByTeam")
        json.beginObject()
        for (team, counts) in snapshot.timersByTeam.sorted(by: { $0.key < $1.key }) {
            json.key(team)
            json.beginObject()
            json.field("open", counts.open)
            json.field("warned", counts.warned)
            json.field("breached", counts.breached)
            json.endObject()
        }
        json.endObject()
        json.key("timersHeldBy")
        json.beginArray()
        for hold in snapshot.timersHeldBy {
            json.beginObject()
            json.field("topic", hold.partition.topic)
            json.field("partition", Int(hold.partition.partition))
            json.field("reason", hold.reason.rawValue)
            json.endObject()
        }
        json.endArray()
        json.field("lastError", snapshot.lastError)
        json.field("lastErrorAt", snapshot.lastErrorAt.map { RFC3339.format($0) })
        json.endObject()
        return json.finish()
    }

    private static func object(_ fields: [String: String]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            json.field(named: key, value)
        }
        json.endObject()
        return json.finish()
    }

    private static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
