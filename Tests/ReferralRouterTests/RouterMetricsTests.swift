import KafkaIO
import Prometheus
import Testing

@testable import ReferralRouter

@Suite("Router metrics")
struct RouterMetricsTests {
    /// After a rebalance the partition another instance now reads must not keep its last lag here: summed over
    /// instances, the group's lag would count it twice and a lag alert would not clear.
    @Test func aPartitionNoLongerHeldHasItsLagSeriesRemoved() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RouterMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let first = KafkaPartition(topic: "referrals.requests", partition: 0)
        let second = KafkaPartition(topic: "referrals.requests", partition: 1)
        metrics.updateLag([first: 5, second: 7], held: [first, second], reachable: true)
        let before = registry.emitToString()
        #expect(before.contains(#"referral_router_consumer_lag{topic="referrals.requests",partition="0"} 5"#), "\(before)")

        metrics.updateLag([second: 3], held: [second], reachable: true)
        let after = registry.emitToString()
        #expect(!after.contains(#"partition="0""#), "\(after)")
        #expect(after.contains(#"referral_router_consumer_lag{topic="referrals.requests",partition="1"} 3"#))

        // Unreachable, the lag is unknown: the partitions still held keep their series.
        metrics.updateLag([:], held: [second], reachable: false)
        #expect(registry.emitToString().contains(#"partition="1""#))
    }
}
