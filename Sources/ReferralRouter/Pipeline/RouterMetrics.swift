import CoreMetrics
import KafkaIO
import Metrics
import NIOConcurrencyHelpers

/// The router's Prometheus metrics, through swift-metrics. Labels carry codes and partition numbers only.
final class RouterMetrics: Sendable {
    let routed: Counter
    let consultations: Counter
    let duplicates: Counter
    let statusUpdates: Counter
    let brokerReachable: Gauge
    let slaEvents: Counter
    /// Status partitions holding every SLA timer (a backlog being read, an update waiting for its request).
    let timersHeldBy: Gauge
    private let timerGauges = NIOLockedValueBox<[String: (open: Gauge, warned: Gauge, breached: Gauge)]>([:])
    private let factory: any MetricsFactory
    private let deadLetterCounters = NIOLockedValueBox<[String: Counter]>([:])
    private let lagGauges = NIOLockedValueBox<[KafkaPartition: Gauge]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.routed = Counter(label: "referral_router_routed_total", factory: factory)
        self.consultations = Counter(label: "referral_router_consultations_total", factory: factory)
        self.duplicates = Counter(label: "referral_router_duplicates_total", factory: factory)
        self.statusUpdates = Counter(label: "referral_router_status_updates_total", factory: factory)
        self.brokerReachable = Gauge(label: "referral_router_broker_reachable", factory: factory)
        self.slaEvents = Counter(label: "referral_router_sla_events_total", factory: factory)
        self.timersHeldBy = Gauge(label: "referral_router_timers_held_by_partitions", factory: factory)
    }

    func deadLettered(code: String, count: Int = 1) {
        let counter = self.deadLetterCounters.withLockedValue { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: "referral_router_dead_lettered_total", dimensions: [("reason", code)], factory: self.factory)
            counters[code] = counter
            return counter
        }
        counter.increment(by: count)
    }

    /// Open timers, timers with a warning fired, and breached timers per team (team ids are not personal data).
    func updateTimers(_ counts: [String: TimerCounts]) {
        // A team whose last timer closed is no longer counted: its gauges fall to zero instead of keeping the last
        // count (a breach that stayed on the dashboards after the case closed).
        let gone = self.timerGauges.withLockedValue { gauges in gauges.filter { counts[$0.key] == nil }.map(\.value) }
        for gauges in gone {
            gauges.open.record(0)
            gauges.warned.record(0)
            gauges.breached.record(0)
        }
        for (team, count) in counts {
            let gauges = self.timerGauges.withLockedValue { gauges in
                if let existing = gauges[team] { return existing }
                let made = (
                    open: Gauge(label: "referral_router_open_timers", dimensions: [("team", team)], factory: self.factory),
                    warned: Gauge(label: "referral_router_warned_timers", dimensions: [("team", team)], factory: self.factory),
                    breached: Gauge(label: "referral_router_breached_timers", dimensions: [("team", team)], factory: self.factory)
                )
                gauges[team] = made
                return made
            }
            gauges.open.record(count.open)
            gauges.warned.record(count.warned)
            gauges.breached.record(count.breached)
        }
    }

    /// Records the lag of the partitions this instance holds (`held`); a partition no longer among them (revoked,
    /// lost) has its series removed, so that no instance keeps exporting the lag of a partition another now reads.
    func updateLag(_ lag: [KafkaPartition: Int64], held: Set<KafkaPartition>, reachable: Bool) {
        self.brokerReachable.record(reachable ? 1 : 0)
        let gone = self.lagGauges.withLockedValue { gauges in
            let gone = gauges.filter { !held.contains($0.key) }
            for partition in gone.keys { gauges.removeValue(forKey: partition) }
            return Array(gone.values)
        }
        for gauge in gone { gauge.destroy() }
        for (partition, value) in lag {
            let gauge = self.lagGauges.withLockedValue { gauges in
                if let gauge = gauges[partition] { return gauge }
                let gauge = Gauge(
                    label: "referral_router_consumer_lag",
                    dimensions: [("topic", partition.topic), ("partition", String(partition.partition))], factory: self.factory)
                gauges[partition] = gauge
                return gauge
            }
            gauge.record(value)
        }
    }
}
