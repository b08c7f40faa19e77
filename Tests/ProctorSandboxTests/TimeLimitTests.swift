import Testing

@testable import ProctorSandbox

/// The three time limits of `time-limits.md`, each reported as itself.
@Suite struct TimeLimitTests {
    @Test func busyLoopIsStoppedForCPUTime() async throws {
        let run = try await Harness.run("while :; do :; done") { $0.cpuTime = 0.5 }
        #expect(run.report.verdict == .limitExceeded(.cpuTime))
        #expect(run.report.metrics.cpuTime >= 0.5)
        #expect(run.report.metrics.cpuTime < 1.5)
    }

    @Test func sleepForeverIsStoppedForIdleness() async throws {
        let run = try await Harness.run("sleep inf") { $0.idleTime = 0.5 }
        #expect(run.report.verdict == .limitExceeded(.idlenessTime))
        #expect(run.report.metrics.idlenessTime >= 0.5)
        #expect(run.report.metrics.cpuTime < 0.2)
    }

    @Test func wallTimeLimitsWhatIdlenessAllows() async throws {
        let run = try await Harness.run("sleep 5") {
            $0.idleTime = 10
            $0.wallTime = 0.5
        }
        #expect(run.report.verdict == .limitExceeded(.realTime))
        #expect(run.report.metrics.realTime >= 0.5)
        #expect(run.report.metrics.realTime < 2)
    }

    @Test func cpuTimeCountsEveryThread() async throws {
        // Four threads each burn 0.3 s of their own CPU time, then the program
        // exits: the run's CPU time must hold all four, whatever the load.
        let directory = try Harness.temporaryDirectory()
        _ = try Harness.compile("""
            #include <pthread.h>
            #include <time.h>
            static double own(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
            static void *spin(void *arg) { (void)arg; while (own() < 0.3) {} return 0; }
            int main(void) { pthread_t t[3]; for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, spin, 0); spin(0);
                             for (int i = 0; i < 3; i++) pthread_join(t[i], 0); return 0; }
            """, named: "spinner", in: directory)
        let run = try await Harness.run("exec /data/spinner") {
            $0.cpuTime = 10
        } configure: {
            $0.binds = [BindMount(source: directory, destination: "/data")]
        }
        #expect(run.report.verdict == .exited(code: 0))
        #expect(run.report.metrics.cpuTime >= 1.1)  // 4 × 0.3 s, less accounting granularity
        // And the limit applies to the sum: the same program under 0.6 s is stopped.
        let limited = try await Harness.run("exec /data/spinner") {
            $0.cpuTime = 0.6
        } configure: {
            $0.binds = [BindMount(source: directory, destination: "/data")]
        }
        #expect(limited.report.verdict == .limitExceeded(.cpuTime))
    }

    @Test func quickProgramReportsItsExitCodeAndMetrics() async throws {
        let run = try await Harness.run("echo hello; exit 3")
        #expect(run.report.verdict == .exited(code: 3))
        #expect(run.stdout == "hello\n")
        #expect(run.report.metrics.memory > 0)
        #expect(run.report.metrics.realTime < 5)
    }
}
