import Foundation
import KafkaIO
import SteeringModel

/// The operator's status page (`GET /status` with `Accept: text/html`): health, lag, throughput, dead letters by
/// reason, timers per team, configuration version and last reload, at a glance. Counts, codes and team ids only.
enum StatusPage {
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    static func render(_ s: RouterStatistics.Snapshot, version: String, ready: Bool, now: Date = Date()) -> String {
        let uptime = max(1, Int(now.timeIntervalSince(s.startedAt)))
        let decided = s.routed + s.duplicates + s.statusUpdates + s.deadLettered.values.reduce(0, +)
        let rate = Double(decided) / Double(uptime)
        let lag = s.lag.values.reduce(0, +)
        let health = ready ? "READY" : (s.restoring ? "RESTORING" : (s.stopping ? "STOPPING" : "NOT READY"))
        let healthClass = ready ? "ok" : "bad"
        var rows = ""
        for (code, count) in s.deadLettered.sorted(by: { $0.key < $1.key }) {
            rows += "<tr><td>\(escape(code))</td><td class=n>\(count)</td></tr>"
        }
        if rows.isEmpty { rows = "<tr><td colspan=2>none</td></tr>" }
        var timers = ""
        for (team, counts) in s.timersByTeam.sorted(by: { $0.key < $1.key }) {
            let breachClass = counts.breached > 0 ? " class=bad" : ""
            timers += "<tr><td>\(escape(team))</td><td class=n>\(counts.open)</td><td class=n>\(counts.warned)</td><td class=n\(breachClass)>\(counts.breached)</td></tr>"
        }
        if timers.isEmpty { timers = "<tr><td colspan=4>no open timers</td></tr>" }
        // No warning or breach fires while any partition holds the timers: say which, and why.
        let holds = s.timersHeldBy.map { hold in
            "\(escape(hold.partition.topic))[\(hold.partition.partition)] (\(hold.reason.meaning))"
        }
        let held = holds.isEmpty ? "" : "<p id=held class=bad>Timers held by \(holds.joined(separator: ", "))</p>"
        var partitions = ""
        for partition in s.assignedPartitions {
            partitions += "<tr><td>\(escape(partition.topic))</td><td class=n>\(partition.partition)</td><td class=n>\(s.lag[partition].map(String.init) ?? "–")</td></tr>"
        }
        if partitions.isEmpty { partitions = "<tr><td colspan=3>no partitions assigned</td></tr>" }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
            <title>referral-router status</title>
            <style>
            body{font:14px system-ui,sans-serif;margin:24px;color:#1d2733;background:#f6f7f9}
            h1{font-size:20px;margin:0 0 12px}
            .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:18px}
            .card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:12px}
            .card b{display:block;font-size:22px;margin-top:4px;overflow-wrap:anywhere}
            .ok{color:#17803d}.bad{color:#b42318}
            table{border-collapse:collapse;background:#fff;margin:0 18px 18px 0;min-width:280px;display:inline-table;vertical-align:top}
            th,td{border:1px solid #dde2e8;padding:4px 10px;text-align:left}td.n{text-align:right}
            small{color:#5b6675}
            </style></head><body>
            <h1>referral-router <small>\(escape(version))</small></h1>
            <div class=grid>
            <div class=card>Health<b class=\(healthClass) id=health>\(health)</b></div>
            <div class=card>Broker<b class=\(s.brokerReachable ? "ok" : "bad")>\(s.brokerReachable ? "reachable" : "unreachable")</b></div>
            <div class=card>Consumer lag<b id=lag>\(lag)</b></div>
            <div class=card>Throughput<b>\(String(format: "%.1f", rate))/s</b><small>records since start</small></div>
            <div class=card>Routed<b id=routed>\(s.routed)</b><small>\(s.consultations) consultations, \(s.duplicates) repeats</small></div>
            <div class=card>Status updates<b>\(s.statusUpdates)</b><small>\(s.slaEvents) SLA events</small></div>
            <div class=card>Uptime<b>\(uptime / 3600)h \(uptime / 60 % 60)m</b></div>
            <div class=card>Configuration<b style="font-size:14px" id=config>\(escape(s.configurationVersion))</b><small>last reload: \(s.lastReloadAt.map { RFC3339.format($0) } ?? "none")\(s.lastReloadError != nil ? " — <span class=bad>rejected</span>" : "")</small></div>
            </div>
            <table><tr><th>Dead letters by reason</th><th>count</th></tr>\(rows)</table>
            <table><tr><th>Team</th><th>open timers</th><th>warned</th><th>breached</th></tr>\(timers)</table>\(held)
            <table><tr><th>Topic</th><th>partition</th><th>lag</th></tr>\(partitions)</table>
            <p><small>Last error: \(s.lastError.map(escape) ?? "none"). Counts, codes and team ids only; no personal data.</small></p>
            </body></html>
            """
    }
}
