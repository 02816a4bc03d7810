import KafkaIO
import ServiceLifecycle

/// Probes consumer lag and broker reachability once a second, on its own executor (the calls block).
struct ProbeService: Service, CustomStringConvertible {
    var description: String { "ProbeService" }
    let router: RouterService
    let notifier: SystemdNotifier
    let executor = DispatchQueueTaskExecutor(label: "referral-router.probe")

    func run() async throws {
        await withTaskExecutorPreference(self.executor) {
            var announcedReady = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                self.router.probe()
                // READY=1 once partitions are assigned and state restored (systemd Type=notify).
                if !announcedReady, self.router.statistics.isReady() {
                    announcedReady = self.notifier.notify("READY=1\nSTATUS=routing")
                    if announcedReady { self.router.statistics.update { $0.announcedReady = true } }
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
