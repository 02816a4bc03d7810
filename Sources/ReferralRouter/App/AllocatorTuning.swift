#if canImport(Glibc)
import Glibc
#endif

/// glibc allocator settings for a long-running pipeline.
///
/// By default glibc returns freed memory at the top of the heap to the kernel as soon as 128 KiB are free and
/// maps large blocks separately, so a loop that builds and drops output records every few microseconds keeps
/// faulting fresh zeroed pages in (the benchmark showed about a tenth of the poll loop's time in page faults).
/// Keeping up to 64 MiB of free heap, growing it 16 MiB at a time and serving blocks below 32 MiB from the heap
/// removes most of that. Environment variables (`MALLOC_TRIM_THRESHOLD_` …) set by an operator take precedence.
public enum AllocatorTuning {
    public static func apply(environment: [String: String]) {
        #if canImport(Glibc)
        // mallopt(3) is declared in <malloc.h>, which Glibc's module does not export; parameters from that header.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil { _ = mallopt(trimThreshold, 64 << 20) }
        if environment["MALLOC_TOP_PAD_"] == nil { _ = mallopt(topPad, 16 << 20) }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil { _ = mallopt(mmapThreshold, 32 << 20) }
        #endif
    }
}
