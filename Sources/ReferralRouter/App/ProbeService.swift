import KafkaIO
import ServiceLifecycle

/// Probes consumer lag and broker reachability once a second, on its own executor (the calls block).
struct ProbeService: Service, CustomStringConvertible {
    var description: String { "ProbeService" }
    let router: RouterService
    let executor = DispatchQueueTaskExecutor(label: "referral-router.probe")

    func run() async throws {
        await withTaskExecutorPreference(self.executor) {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                self.router.probe()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
