import CRdKafka

/// Names the calling thread as the kernel shows it (`top -H`, `perf`, the benchmark's timeline): Foundation's
/// `Thread.name` does not reach the OS thread on Linux. At most 15 bytes are kept.
public func nameCurrentThread(_ name: String) {
    crdkafka_name_current_thread(name)
}
