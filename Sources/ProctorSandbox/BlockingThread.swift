#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (a sandbox supervisor waiting in `poll`) on a dedicated
/// OS thread, so it never occupies one of Swift concurrency's few pool threads.
public enum BlockingThread {
    private final class Job: @unchecked Sendable {
        // Written once by the creating task before the thread starts, read by the thread.
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let job = Job { continuation.resume(returning: body()) }
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                guard let raw else { return nil }
                Unmanaged<Job>.fromOpaque(raw).takeRetainedValue().body()
                return nil
            }, Unmanaged.passRetained(job).toOpaque())
            if started == 0 {
                pthread_detach(thread)
            } else {
                // No thread to be had: run here rather than lose the job.
                Unmanaged<Job>.fromOpaque(Unmanaged.passUnretained(job).toOpaque()).release()
                job.body()
            }
        }
    }
}
